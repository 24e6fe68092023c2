"""The printed manuals (三册) made from the records of one year: what each manual holds,
read in a fixed number of queries whatever the number of members and records.

- `member.member_manuals`: the member activity manual (党员活动手册) of one member or of a
  whole roll;
- `branch.branch_work_manual`: the branch work manual (党支部工作手册);
- `office`: the years to offer and the branches the print office lists.
"""
