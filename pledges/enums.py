from django.db import models
from django.utils.translation import gettext_lazy as _


class NeedCategory(models.TextChoices):
    HOUSEHOLDS_IN_DIFFICULTY = "households_in_difficulty", _("困难群众帮扶")
    GRASSROOTS_GOVERNANCE = "grassroots_governance", _("基层社会治理")
    POVERTY_ALLEVIATION = "poverty_alleviation", _("脱贫攻坚")
    CIVILISED_CITY = "civilised_city", _("文明城市创建")
    BRANCH_BUILDING = "branch_building", _("党支部建设")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    ENVIRONMENT = "environment", _("人居环境")
    INDUSTRY = "industry", _("产业发展")
    HEALTH_SERVICE = "health_service", _("健康服务")
    EDUCATION_CARE = "education_care", _("教育关爱")
    PAIRED_ASSISTANCE = "paired_assistance", _("结对帮扶")
    EMPLOYMENT = "employment", _("就业帮扶")
    OTHER = "other", _("其他")


class NeedSource(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", _("调查问卷")
    SYMPOSIUM = "symposium", _("座谈会")
    MEMBER_MEETING = "member_meeting", _("党员大会")
    HOME_VISIT = "home_visit", _("走访群众")
    OTHER = "other", _("其他")


class Urgency(models.TextChoices):
    HIGH = "high", _("急")
    MEDIUM = "medium", _("较急")
    LOW = "low", _("一般")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("已认领")
    RESOLVED = "resolved", _("已解决")
    DROPPED = "dropped", _("已搁置")


class Step(models.TextChoices):
    """The six steps of the flow chart (流程图)."""

    RESEARCH = "research", _("研诺")
    DEFINE = "define", _("定诺")
    SHOW = "show", _("示诺")
    PRACTISE = "practise", _("践诺")
    SUPERVISE = "supervise", _("督诺")
    USE = "use", _("用诺")


class PledgeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("审核通过")
    PUBLISHED = "published", _("已公示")
    IN_PROGRESS = "in_progress", _("践诺中")
    COMPLETED = "completed", _("已完成")
    VERIFIED = "verified", _("已销号")
    EVALUATED = "evaluated", _("已评议")
    WITHDRAWN = "withdrawn", _("已撤销")


class PledgeMove(models.TextChoices):
    SUBMIT = "submit", _("提交审核")
    RETURN_FOR_REVISION = "return_for_revision", _("退回修改")
    APPROVE = "approve", _("审核通过")
    PUBLISH = "publish", _("公示")
    START = "start", _("开始践诺")
    COMPLETE = "complete", _("完成")
    VERIFY = "verify", _("销号")
    EVALUATE = "evaluate", _("评议")
    WITHDRAW = "withdraw", _("撤销")


class TimeNodeOutcome(models.TextChoices):
    """How a time node was closed: its work done on a date, or no longer needed."""

    DONE = "done", _("完成")
    NOT_NEEDED = "not_needed", _("不再需要")


class ActorRole(models.TextChoices):
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    UPPER_STAFF = "upper_staff", _("上级党组织")


class Rhythm(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")


class FeedbackRating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    FAIRLY_SATISFIED = "fairly_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class FeedbackChannel(models.TextChoices):
    ONLINE = "online", _("扫码评议")
    RECORDED = "recorded", _("代为记录")


class CommentStatus(models.TextChoices):
    NONE = "none", _("无留言")
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已公开")
    REJECTED = "rejected", _("不公开")
