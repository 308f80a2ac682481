"""Training: fine-tune an encoder with a stance head and a frame head (train), adapt a trained model to a corpus
with a teacher's soft labels (adapt), and combine trained models (ensemble)."""
