from django.db import models
from django.utils.translation import gettext_lazy as _


class CommitteeKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("党工委")
    TOWN = "town", _("镇（街道）党委")
    ORGANS = "organs", _("机关事业党委")
    NEW_ORGANISATIONS = "new_organisations", _("两新组织党委")
    OTHER = "other", _("其他党委")


class BranchKind(models.TextChoices):
    VILLAGE = "village", _("农村")
    HEALTH_CENTRE = "health_centre", _("卫生院")
    SCHOOL = "school", _("学校")
    GOVERNMENT_OFFICE = "government_office", _("机关")
    NON_PUBLIC_ENTERPRISE = "non_public_enterprise", _("非公企业")
    SOCIAL_ORGANISATION = "social_organisation", _("两新组织")
    ENTERPRISE = "enterprise", _("企业")
    FLOATING = "floating", _("流动党支部")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class ExemptionReason(models.TextChoices):
    OLD_AGE = "old_age", _("年老体弱")
    ILLNESS = "illness", _("患病")
    AWAY = "away", _("长期外出")
    OTHER = "other", _("其他")
