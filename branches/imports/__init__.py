"""Spreadsheet import of the organisation and of member rosters.

reading (bytes → table or refusal) → schemas/cells (columns and cell parsers) → planning
(organisation.py, members.py: table + scope → plan) → services (apply in one transaction,
batches kept between preview and confirmation); writing makes the templates and the export.
"""
