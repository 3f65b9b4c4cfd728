"""X12 envelope and tokenizer, and the 837P element definitions edi837 writes."""
