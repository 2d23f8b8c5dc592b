"""The warehouse: schemas from sql/, atomic nightly publishing, and the ops log of every run."""
