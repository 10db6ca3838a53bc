"""Images on disk and the input pipelines: image reading (``images``), unpaired two-domain data (``unpaired``),
labelled multi-domain data (``labelled``) and the procedural demo datasets (``demo``, ``labelled_demo``)."""
