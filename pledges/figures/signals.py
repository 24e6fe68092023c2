"""The changes that move the stored figures (pledges.stored_figures), and the keys each
names: connected in PledgesConfig.ready. Counting again is pledges.figures.stored."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from branches.models import Member
from branches.signals import rolls_changed
from pledges.figures.stored import (
    keys_by_year,
    member_branches,
    pledge_keys,
    stored_figure_years,
    stored_figures_changed,
    transition_keys,
)
from pledges.models import Pledge, PledgeTransition

ROLL_FIELDS = ("branch_id", "is_active", "is_exempt")


@receiver(post_save, sender=Pledge)
def pledge_saved(sender, instance: Pledge, created: bool, **kwargs):
    before = instance._counted_as_loaded
    if not created and before == instance.counted_fields():
        return  # its words changed, not what it is counted by
    old_owner, old_year, old_member, _category, _due = before
    branches = member_branches([instance.member_id, old_member])
    keys = pledge_keys(
        owner_branch_id=instance.owner_branch_id,
        year=instance.year,
        member_branch_id=branches.get(instance.member_id),
    )
    if not created and old_owner and old_year:
        keys |= pledge_keys(
            owner_branch_id=old_owner, year=old_year, member_branch_id=branches.get(old_member)
        )
    stored_figures_changed(keys=keys)


@receiver(post_delete, sender=Pledge)
def pledge_deleted(sender, instance: Pledge, **kwargs):
    stored_figures_changed(
        keys=pledge_keys(
            owner_branch_id=instance.owner_branch_id,
            year=instance.year,
            member_branch_id=member_branches([instance.member_id]).get(instance.member_id),
        )
    )


@receiver(post_save, sender=PledgeTransition)
def pledge_moved(sender, instance: PledgeTransition, created: bool, **kwargs):
    if not created:
        return
    member_id = instance.pledge.member_id
    stored_figures_changed(
        keys=transition_keys(instance, member_branch_id=member_branches([member_id]).get(member_id))
    )


@receiver(pre_save, sender=Member)
def member_roll_before(sender, instance: Member, **kwargs):
    instance._roll_before_save = (
        None
        if instance._state.adding
        else Member.objects.filter(pk=instance.pk).values_list(*ROLL_FIELDS).first()
    )


@receiver(post_save, sender=Member)
def member_roll_saved(sender, instance: Member, created: bool, **kwargs):
    before = getattr(instance, "_roll_before_save", None)
    if created or before is None:
        return  # a new member has made no pledge yet
    if before == tuple(getattr(instance, name) for name in ROLL_FIELDS):
        return
    years = set(
        Pledge.objects.filter(member=instance).order_by().values_list("year", flat=True).distinct()
    )
    stored_figures_changed(keys=keys_by_year({before[0], instance.branch_id}, years))


@receiver(rolls_changed)
def rolls_changed_in_bulk(sender, branch_ids, **kwargs):
    branch_ids = set(branch_ids)
    if branch_ids:
        stored_figures_changed(
            keys=keys_by_year(branch_ids, stored_figure_years(branch_ids=branch_ids))
        )
