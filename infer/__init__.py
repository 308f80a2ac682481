"""Inference: segmentation of documents into units and batch classification."""
