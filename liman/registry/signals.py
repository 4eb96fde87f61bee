"""What the registry tells the apps after it (they connect in their AppConfig.ready(); the registry imports none of
them)."""

from django.dispatch import Signal

#: Sent by `person_merge` and `person_unmerge` inside their transaction, once every reference has moved (to the
#: survivor, or back to the merged record): `sender` the `PersonMerge` model, `merge` its row, `undone` False for a
#: merge and True for its undoing. An app that keeps something derived per person (a count of people reached) brings
#: it up to date here, so that it is never stale after the merge commits; a receiver that raises undoes the merge.
people_merged = Signal()
