"""The list items written in one pass (pledges/templatetags/rows.py, the date filters of
branches/templatetags/dates.py) are what the template loops they replaced wrote."""

import datetime
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from pledges.enums import NeedStatus, PledgeStatus
from pledges.templatetags.rows import (
    approval_items,
    claim_items,
    overdue_branch_items,
    staff_todo_items,
)
from tests import factories

S = PledgeStatus

# The loops as they were in the templates, character for character.
APPROVALS_LOOP = """{% load i18n dates links %}{% for pledge in page_obj.object_list %}
  <li>
    <label class="checkbox"><input type="checkbox" name="pledges" value="{{ pledge.pk }}" aria-label="{% blocktranslate with title=pledge.title %}选择“{{ title }}”{% endblocktranslate %}">
    <a class="title" href="{% url 'pledges:pledge_review' pledge.pk %}">{{ pledge.title }}</a></label>
    {% if pledge.was_returned %}<span class="badge returned">{% translate "重新提交" %}</span>{% endif %}
    <div>{% if pledge.member_id %}{% translate "党员" %} {{ pledge.member.name }}{% else %}{% translate "支部承诺" %}{% endif %} · {{ pledge.owner_branch.name }} <span class="muted">{{ pledge.owner_branch.committee.name }}</span></div>
    <div class="muted"><span{% if pledge.due_date < today %} class="overdue"{% endif %}>{% blocktranslate with date=pledge.due_date|date:"Y年n月j日" %}完成时限 {{ date }}{% endblocktranslate %}</span>{% if pledge.submitted_at %} · {% blocktranslate with date=pledge.submitted_at|date:"Y年n月j日" %}{{ date }} 提交{% endblocktranslate %}{% endif %}</div>
  </li>
{% endfor %}"""  # noqa: E501
STAFF_TODO_LOOP = """{% load links %}{% for pledge in pledges %}
      <li><a class="title" href="{% id_url 'pledges:pledge_review' pledge.pk %}">{{ pledge.title }}</a>
        <div class="muted">{{ pledge.owner_branch.name }} · {{ pledge.pledger }}</div></li>
    {% endfor %}"""  # noqa: E501
OVERDUE_LOOP = """{% load i18n links %}{% for branch in branches %}
      <li><a class="title" href="{% id_url 'pledges:branch_pledges' branch.pk %}?overdue=1">{{ branch.name }}</a>
        <span class="overdue">{% blocktranslate count counter=branch.overdue_count %}{{ counter }} 项逾期{% plural %}{{ counter }} 项逾期{% endblocktranslate %}</span></li>
    {% endfor %}"""  # noqa: E501
NEEDS_LOOP = """{% load dates i18n links rows %}{% url 'pledges:pledge_add' branch.pk as pledge_add %}{% with next_path=request.get_full_path %}<ul class="list needs">
  {% for need in page %}
  <li>
    <div>
      <span class="badge {{ need.urgency }}">{{ need.urgency_label }}</span>
      <span class="badge {{ need.status }}">{{ need.status_label }}</span>
    </div>
    {% if can_manage and need.status in live_statuses %}
    <label class="checkbox need-pick"><input type="checkbox" name="needs" value="{{ need.pk }}" form="claim-form"> <span class="title">{{ need.description|linebreaksbr }}</span></label>
    {% else %}
    <div class="title">{{ need.description|linebreaksbr }}</div>
    {% endif %}
    <div class="muted">
      {% if need.village %}{{ need.village }} · {% endif %}{{ need.category_label }} · {{ need.source_label }}{% if need.raised_by %} · {% blocktranslate with who=need.raised_by %}提出人：{{ who }}{% endblocktranslate %}{% endif %} · {{ need.created_at|cn_date }}
    </div>
    {% with claims=need.claims %}{% if claims %}
    <details class="claims"{% if claims|length <= 3 %} open{% endif %}>
      <summary>{% blocktranslate count counter=claims|length %}认领的承诺 {{ counter }} 项{% plural %}认领的承诺 {{ counter }} 项{% endblocktranslate %}</summary>
      <ul>{# pledges/templatetags/rows.py: each pledge's link and its status badge (includes/status_badge.html, with the label set by the view) #}{% claim_items claims %}</ul>
    </details>
    {% endif %}{% endwith %}
    {% if can_manage %}
    <div class="actions">
      {% if need.status in live_statuses %}<a href="{{ pledge_add }}?needs={{ need.pk }}">{% translate "认领并写承诺" %}</a>{% endif %}
      <a href="{% id_url 'pledges:need_edit' need.pk %}">{% translate "修改" %}</a>
      {% if need.status == "claimed" %}
      <form method="post" action="{% id_url 'pledges:need_resolve' need.pk %}">{% csrf_token %}{% submission_key %}<input type="hidden" name="next" value="{{ next_path }}"><button type="submit" class="secondary">{% translate "标记已解决" %}</button></form>
      {% elif need.status == "open" %}
      <form method="post" action="{% id_url 'pledges:need_drop' need.pk %}">{% csrf_token %}{% submission_key %}<input type="hidden" name="next" value="{{ next_path }}"><button type="submit" class="plain">{% translate "搁置" %}</button></form>
      {% elif need.status == "dropped" %}
      <form method="post" action="{% id_url 'pledges:need_reopen' need.pk %}">{% csrf_token %}{% submission_key %}<input type="hidden" name="next" value="{{ next_path }}"><button type="submit" class="plain">{% translate "恢复" %}</button></form>
      {% endif %}
    </div>
    {% endif %}
  </li>
  {% empty %}
  <li class="empty">{% translate "这里还没有需求。" %}</li>
  {% endfor %}
</ul>{% endwith %}"""  # noqa: E501
CLAIMS_LOOP = """{% for pledge in claims %}
        <li><a href="{{ pledge.detail_url }}">{{ pledge.pledger }}：{{ pledge.title }}</a> {# includes/status_badge.html, with the label set by the view #}<span class="badge {{ pledge.status }}">{{ pledge.status_label }}</span></li>
      {% endfor %}"""  # noqa: E501


def walked(org, status, **extra):
    pledge = factories.make_pledge(**extra)
    secretary = pledge.owner_branch.secretary
    return factories.walk_to(pledge, status, secretary=secretary, staff=org.town_staff)


@pytest.mark.django_db
def test_approval_items_write_what_the_template_wrote(client, org):
    member = factories.make_member(org.branch, name="张<三>")
    walked(org, S.SUBMITTED, member=member, title='修"路" & 灯')
    walked(org, S.SUBMITTED, branch=org.other_branch, due_date=datetime.date(2020, 1, 5))
    again = walked(org, S.RETURNED, branch=org.branch, title="再交一次")
    again.submit(org.secretary)
    client.force_login(org.town_staff)

    response = client.get(reverse("pledges:approvals"))

    context = {"page_obj": response.context["page_obj"], "today": response.context["today"]}
    expected = Template(APPROVALS_LOOP).render(Context(context))
    written = approval_items(context["page_obj"].object_list, context["today"])
    assert written == expected
    assert expected.count("<li>") == 3 and "重新提交" in expected and 'class="overdue"' in expected
    assert f'<ul class="list">{written}</ul>' in response.text


@pytest.mark.django_db
def test_staff_todo_items_write_what_the_template_wrote(client, org):
    from reviews.selectors.home import staff_todo

    member = factories.make_member(org.branch, name="王<五>")
    walked(org, S.SUBMITTED, member=member, title="修路 & 灯")
    walked(org, S.SUBMITTED, branch=org.other_branch)
    overdue = {"due_date": timezone.localdate() - datetime.timedelta(days=1)}
    walked(org, S.PUBLISHED, branch=org.branch, **overdue)
    walked(org, S.PUBLISHED, branch=org.branch, **overdue)
    walked(org, S.PUBLISHED, branch=org.other_branch, **overdue)

    todo = staff_todo(user=org.town_staff)

    expected = Template(STAFF_TODO_LOOP).render(Context({"pledges": todo.to_approve}))
    assert staff_todo_items(todo.to_approve, "pledges:pledge_review") == expected
    assert expected.count("<li>") == 2 and "王&lt;五&gt;" in expected
    expected = Template(OVERDUE_LOOP).render(Context({"branches": todo.branches_overdue}))
    assert overdue_branch_items(todo.branches_overdue) == expected
    assert "2 项逾期" in expected and "1 项逾期" in expected
    client.force_login(org.town_staff)
    assert expected in client.get(reverse("home")).text


@pytest.mark.django_db
def test_claim_items_write_what_the_template_wrote(client, org):
    need = factories.make_need(org.branch, status=NeedStatus.CLAIMED)
    member = factories.make_member(org.branch, name="李<四>")
    for pledge in (
        walked(org, S.IN_PROGRESS, member=member, title="浇水 & 修路"),
        walked(org, S.SUBMITTED, branch=org.branch),
    ):
        pledge.needs.add(need)
    client.force_login(org.secretary)

    response = client.get(reverse("pledges:needs", args=[org.branch.pk]))

    (shown,) = [row for row in response.context["page"] if row.pk == need.pk]
    claims = shown.claims
    expected = Template(CLAIMS_LOOP).render(Context({"claims": claims}))
    assert claim_items(claims) == expected
    assert expected.count("<li>") == 2 and "李&lt;四&gt;：浇水 &amp; 修路" in expected
    assert expected in response.text


def _keyless(html: str) -> str:
    """The markup with its one-time values (CSRF token, submission keys) blanked."""
    return re.sub(r'(name="(csrfmiddlewaretoken|submission_key)" value=)"[^"]*"', r"\1", html)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["secretary", "town_staff"])
def test_need_items_write_what_the_template_wrote(client, org, who):
    factories.make_need(org.branch, village="东<村>", raised_by="老张 & 老李", description="一\n二")
    for status in (NeedStatus.CLAIMED, NeedStatus.RESOLVED, NeedStatus.DROPPED):
        factories.make_need(org.branch, status=status, urgency="high")
    many = factories.make_need(org.branch, status=NeedStatus.CLAIMED)
    for _index in range(4):
        walked(org, S.SUBMITTED, branch=org.branch).needs.add(many)
    client.force_login(getattr(org, who))

    shown = {}
    for query in ("?x=<1>", "?status=dropped"):  # the current needs, then the dropped one
        response = client.get(reverse("pledges:needs", args=[org.branch.pk]) + query)

        names = ("branch", "page", "can_manage", "live_statuses", "request", "csrf_token")
        context = Context({name: response.context[name] for name in names})
        expected = Template(NEEDS_LOOP).render(context)
        assert _keyless(expected) in _keyless(response.text)
        shown[query] = expected
    assert shown["?x=<1>"].count("<li>") == 4 + 4 and "老张 &amp; 老李" in shown["?x=<1>"]
    assert shown["?status=dropped"].count("<li>") == 1
    assert ("/reopen/" in shown["?status=dropped"]) == (who == "secretary")


@pytest.mark.parametrize(
    "value",
    [
        datetime.date(2026, 1, 5),
        datetime.date(987, 12, 31),
        datetime.datetime(2026, 3, 31, 18, 5, tzinfo=datetime.UTC),  # April 1st in Shanghai
        datetime.datetime(2026, 7, 9, 8, 0),
        None,
        "",
    ],
)
def test_date_filters_write_what_the_date_filter_wrote(value):
    context = Context({"value": value})
    pairs = [("{{ value|cn_date }}", '{{ value|date:"Y年n月j日" }}')]
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        # Of a date without its time Django's filter refuses a time: not asked of either.
        pairs.append(("{{ value|cn_datetime }}", '{{ value|date:"Y年n月j日 H:i" }}'))
    for ours, django_own in pairs:
        written = Template("{% load dates %}" + ours).render(context)
        assert written == Template(django_own).render(context)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        assert Template("{% load dates %}{{ value|cn_date }}").render(context) == "2026年4月1日"
