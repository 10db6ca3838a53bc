"""What differs between the model families: one task per ``kind`` (see ``registry``)."""
