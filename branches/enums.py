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
    COMMUNITY = "community", _("社区")
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


class StaffRole(models.TextChoices):
    """What a committee's staff do over its subtree."""

    # Approve pledges, run the reviews, read the dashboard.
    REVIEW = "review", _("审核讲评")
    # Keep the organisation: committees, branches, pairings, accounts, rosters.
    ORGANISATION = "organisation", _("组织管理")


class AccountKind(models.TextChoices):
    """The kinds of account organisation staff hand out, each with its scope."""

    SECRETARY = "secretary", _("支部书记")
    REVIEW_STAFF = "review_staff", _("党委工作人员（审核讲评）")
    ORGANISATION_STAFF = "organisation_staff", _("组织部门管理员")


class OrganisationAction(models.TextChoices):
    """What an entry of the organisation's audit list records."""

    COMMITTEE_CREATE = "committee_create", _("新建党组织")
    COMMITTEE_UPDATE = "committee_update", _("修改党组织")
    COMMITTEE_CLOSE = "committee_close", _("撤销党组织")
    COMMITTEE_REOPEN = "committee_reopen", _("恢复党组织")
    BRANCH_CREATE = "branch_create", _("新建党支部")
    BRANCH_UPDATE = "branch_update", _("修改党支部")
    PAIRING_CREATE = "pairing_create", _("新建结对")
    PAIRING_DELETE = "pairing_delete", _("取消结对")
    ACCOUNT_CREATE = "account_create", _("新建账号")
    ACCOUNT_UPDATE = "account_update", _("修改账号")
    ACCOUNT_DEACTIVATE = "account_deactivate", _("停用账号")
    ACCOUNT_REACTIVATE = "account_reactivate", _("恢复账号")
    ACCOUNT_PASSWORD_RESET = "account_password_reset", _("重置密码")
    ACCOUNT_UNLOCK = "account_unlock", _("解除登录锁定")
    IMPORT_ORGANISATION = "import_organisation", _("导入组织架构")
    IMPORT_MEMBERS = "import_members", _("导入党员名册")
    DISTRICT_START = "district_start", _("建立区（县）党组织")
    MEMBER_PERSONAL_DATA_ERASE = "member_personal_data_erase", _("清除党员个人信息")
    MEMBERS_LETTER_SAVE = "members_letter_save", _("修改致全体党员的一封信")


class PersonalDataAction(models.TextChoices):
    """What an entry of the personal-data access log records: members' phone numbers
    shown on a page or handed out in a file (个人信息保护法)."""

    MEMBER_LIST_VIEW = "member_list_view", _("查看党员名册")
    MEMBER_DETAIL_VIEW = "member_detail_view", _("查看党员个人信息")
    ROSTER_DOWNLOAD = "roster_download", _("下载党员名册")
    IMPORT_PREVIEW_VIEW = "import_preview_view", _("查看名册导入预览")


class ImportKind(models.TextChoices):
    ORGANISATION = "organisation", _("组织架构")
    MEMBERS = "members", _("党员名册")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    APPLIED = "applied", _("已导入")
    ABANDONED = "abandoned", _("已放弃")


class ImportRowStatus(models.TextChoices):
    """What the import does with one row (not stored: the preview's vocabulary)."""

    NEW = "new", _("新增")
    CHANGED = "changed", _("修改")
    UNCHANGED = "unchanged", _("不变")
    ERROR = "error", _("有错误")
    AMBIGUOUS = "ambiguous", _("待确认")
