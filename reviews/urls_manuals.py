"""The printed manuals (三册) made from the reviews' records: the member activity manual
(one member, or all of a branch), the branch work manual, and the office's page for
printing them branch by branch."""

urlpatterns: list = []
