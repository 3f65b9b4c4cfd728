"""What the CMS data stores share: where a store's SQLite file is, and how a run finds it.

Two stores hold CMS data a user imports: the NCCI edits (`edi837.ncci`, quarterly) and the ICD-10-CM code
set (`edi837.icd10`, yearly, with an April update). Each is its own file beside the other in the per-user
data folder, found by the same rules (`location`); what a download holds is read by `edi837.ncci.members`
for both.
"""
