from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewRating(models.TextChoices):
    """The four-level rating used by quarterly reviews, year-end ratings and branch grades."""

    GOOD = "good", _("好")
    FAIRLY_GOOD = "fairly_good", _("较好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("差")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
