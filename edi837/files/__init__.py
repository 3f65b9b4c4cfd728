"""Files on disk, below every entry point: atomic replace, safe opening, modes, names, leftovers, stdin.

Everything that writes a file (the delivery's outputs, the change log, the batch's records, the ledger)
goes through these modules; none of them knows about claims.
"""
