"""Reading what the payers answered: 835 remittance advice (005010X221A1) and 277CA claim acknowledgements
(005010X214), matched to the claims edi837 delivered, stored, and summed into outcomes per rule action.

Why a package of its own on the ledger's floor: the remittance side only reads (X12 through pyx12, the claim
model's value types) and writes its own tables; nothing below it needs to know payers answer. See
docs/remits.md for the matching rules, their limits and the sources of the code meanings.
"""
