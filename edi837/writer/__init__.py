"""The writer: edits to a claim's bytes, the splice of edited claims into the output, SE01 recounts, the diff."""
