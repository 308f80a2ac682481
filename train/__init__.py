"""Training: fine-tune an encoder with a stance head and a frame head on annotated units."""
