"""Batch inference: classify streams of documents and tables into checkpointed files (``classify``, ``outputs``,
the Ray engine), and what is made of the predictions (``summary``, ``report``)."""
