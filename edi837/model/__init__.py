"""The claim model: the loops of an 837P as objects rules read (walker, claim, lines, header loops)."""
