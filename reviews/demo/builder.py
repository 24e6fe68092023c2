"""Writes the demo data set: committees, users, branches and members first, in bulk (as
an organisation import would), then each district's two years.

At scale 1 the year under way of the article's district is played through the services
in date order (`reviews.demo.played`). Last year, and every district of --scale N > 1,
are written in bulk from the same plan: rows built in memory and inserted with bulk_create,
pledges with their final status and their audit rows beside them (Pledge.save() refuses
a status that did not come through the workflow, which is the point of the workflow, not
of an import), then the committee sessions held through their services
(`reviews.demo.sessions`).
"""

import datetime
import random
import time
from collections import Counter
from collections.abc import Callable
from itertools import count

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from branches.enums import CommitteeKind, Gender, StaffRole
from branches.models import (
    Branch,
    Committee,
    CommitteeStaff,
    Member,
    Pairing,
    RetiredToken,
    path_segment,
)
from branches.tokens import TOKEN_ALPHABET, TOKEN_LENGTH
from pledges.figures.stored import stored_figures_rebuild
from pledges.manuals import default_signature, draft_letter_body
from pledges.models import (
    Feedback,
    MembersLetter,
    Need,
    Pledge,
    PledgeTransition,
    ProgressRecord,
    TimeNode,
    TimeNodeClosing,
)
from reviews.demo import histories, needs, people, pledging
from reviews.demo import plan as shape
from reviews.demo.context import BranchContext, Clock
from reviews.demo.played import YearPlayer
from reviews.demo.sessions import BulkSessions
from reviews.models import (
    BranchGrade,
    MonthlyReport,
    PointsEntry,
    QuarterlyBriefing,
    QuarterlyReview,
    YearEndEvaluation,
)

DEMO_PASSWORD = "demo12345"
# Rows per INSERT: large enough to amortise round trips, small enough for SQLite's
# variable limit (Django lowers it further where the backend needs).
BATCH_SIZE = 2000
# The districts whose year under way is played through the services, as people would
# (at scale 1). Last year, and every district of --scale N > 1, are written in bulk from
# the same plan, in the same shape (`reviews.demo.sessions`).
PLAYED_DISTRICTS = frozenset({0})

ADMIN, DISTRICT, JISHI_STAFF, ORGANISER = "admin", "district", "jishi", "zuzhi"
# The demo secretaries' usernames, by branch key.
SECRETARY_LOGINS = {shape.FANZHAI: "fanzhai", shape.JISHI_VILLAGE: "jishicun"}
# The article's head of the district's organisation department, staff of its root.
DISTRICT_STAFF_NAME = ("王", "长春", "组织人力资源社会保障局局长")
# The organisation department's clerk who keeps the tree, accounts and rosters.
ORGANISER_NAME = ("刘", "晓燕", "组织人力资源社会保障局组织科")


def row_counts() -> list[tuple[str, int]]:
    """Rows of each table the demo fills, labelled in Chinese, in the order people read."""
    tables = [
        ("党委", Committee),
        ("党支部", Branch),
        ("账号", get_user_model()),
        ("党员", Member),
        ("结对共建", Pairing),
        ("群众需求", Need),
        ("承诺", Pledge),
        ("流程记录", PledgeTransition),
        ("时间节点", TimeNode),
        ("践诺记实", ProgressRecord),
        ("主题党日汇报", MonthlyReport),
        ("群众评议", Feedback),
        ("季度讲评", QuarterlyReview),
        ("年终评议", YearEndEvaluation),
        ("党员积分", PointsEntry),
        ("支部定级", BranchGrade),
    ]
    return [(label, model.objects.count()) for label, model in tables]


def existing_data() -> dict[str, int]:
    """Row counts of the tables that mean "this database is in use", empty ones left out.

    Users count too: a database with only a superuser in it is someone's, not empty.
    """
    holdings = {}
    for label, model in [("党委", Committee), ("党支部", Branch), ("账号", get_user_model())]:
        rows = model.objects.count()
        if rows:
            holdings[label] = rows
    return holdings


def wipe_all_data() -> None:
    """Empty every table. flush truncates in SQL, past PledgeTransition's refusal to delete."""
    call_command("flush", interactive=False, verbosity=0)


def demo_logins() -> list[tuple[str, str]]:
    """(username, role in Chinese) of the demo logins, all with DEMO_PASSWORD."""
    root = Committee.objects.filter(parent=None).order_by("pk").first()
    root_name = root.name if root else shape.ROOT_NAME

    def secretary(branch_key):
        return people.NAMED_MEMBERS[branch_key][0][0]

    return [
        (ADMIN, "系统管理员（超级用户，兼最上级党组织工作人员）"),
        (DISTRICT, f"{root_name}工作人员：审核、讲评全部承诺"),
        (JISHI_STAFF, "姬石镇党委工作人员：审核本镇各党支部的承诺"),
        (ORGANISER, f"{root_name}组织部门管理员：党组织、账号、党员名册导入"),
        (
            SECRETARY_LOGINS[shape.FANZHAI],
            f"范寨村党支部书记{secretary(shape.FANZHAI)}：录入需求、承诺、践诺记实",
        ),
        (
            SECRETARY_LOGINS[shape.JISHI_VILLAGE],
            f"姬石村党支部书记{secretary(shape.JISHI_VILLAGE)}：录入需求、承诺、践诺记实",
        ),
    ]


def _quiet(message: str) -> None:
    pass


class DemoBuilder:
    def __init__(
        self,
        *,
        scale: int,
        progress: Callable[[str], None] = _quiet,
        now: datetime.datetime | None = None,
        play: bool = True,
    ):
        self.scale = scale
        # A province is written in bulk throughout: playing one district's year costs as
        # much as writing fifteen, and the bulk rows have the same shape.
        self.play = play and scale == 1
        self.progress = progress
        self.plans = shape.district_plans(scale)
        now = timezone.localtime(now) if now else timezone.localtime()
        # Last year, whose results are published, and the year under way.
        self.clocks = [Clock.year_before(now), Clock.around(now)]
        self.clock = self.clocks[-1]
        # The hasher is slow on purpose: hash once and share the string among the logins.
        self.password = make_password(DEMO_PASSWORD)
        self.unusable_password = make_password(None)
        self.secretary_numbers = count(1)
        self.staff_numbers = count(1)
        self.committees: dict[tuple[int, str], Committee] = {}  # (district, key) -> row
        self.top: Committee | None = None  # the root of everything: province or district
        self.staff_user_ids: dict[int, int] = {}  # committee id -> its staff user's id
        self.counts = Counter()
        self.started = time.monotonic()
        self.taken_tokens: set[str] = set()

    def build(self) -> Counter:
        with transaction.atomic():
            self.taken_tokens = _tokens_in_use()
            self._committees()
            self._committee_staff()
            self._members_letter()
            for plan in self.plans:
                totals = self._district(plan)
                # Under DEBUG every query's full SQL is kept: hundreds of MB at scale 100.
                reset_queries()
                if connection.vendor == "postgresql" and plan.index % 10 == 0:
                    # Statistics of tables that grew from nothing: without them the
                    # sessions' queries (notices, publication) plan as if for empty
                    # tables, and each district costs more than the one before.
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE")
                if self._should_report(plan.index):
                    self.progress(
                        f"[{self.elapsed():6.1f} 秒] 第 {plan.index + 1}/{self.scale} 个县区"
                        f"（{plan.area}）：党支部 {totals['branches']} 个，"
                        f"党员 {totals['members']} 名，承诺 {totals['pledges']} 条"
                    )
            # The bulk years were written without signals: count their figures once.
            stored_figures_rebuild()
        return self.counts

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _should_report(self, index: int) -> bool:
        every = max(1, self.scale // 10)
        return (index + 1) % every == 0 or index + 1 == self.scale

    def _insert(self, model, rows: list) -> list:
        model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts[model] += len(rows)
        return rows

    def _append(self, model, rows: list) -> list:
        """Insert rows whose ids nothing needs: on PostgreSQL through COPY, which takes the
        largest tables (monthly reports, audit rows) at a fraction of an INSERT's cost;
        elsewhere as _insert. Like bulk_create, it runs each field's pre_save (defaults,
        auto_now) and sends no signal."""
        if connection.vendor != "postgresql" or not rows:
            return self._insert(model, rows)
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(row, True), connection)
                        for field in fields
                    ]
                )
        self.counts[model] += len(rows)
        return rows

    # -----------------------------------------------------------------------
    # Committees and their staff
    # -----------------------------------------------------------------------
    def _committees(self) -> None:
        """All committees, one bulk insert per level, with their materialised paths.

        Committee.save() computes the path from the id in two writes each; here the ids
        come back from the insert and every path is set in one bulk update.
        """
        placeholders = count()

        def unsaved(name, kind, parent):
            return Committee(name=name, kind=kind, parent=parent, path=f"new-{next(placeholders)}")

        province = None
        if self.scale > 1:
            province = self._insert(
                Committee, [unsaved(shape.PROVINCE_NAME, CommitteeKind.OTHER, None)]
            )[0]
        roots = []
        for plan in self.plans:
            root_plan = plan.committees[0]
            root = unsaved(root_plan.name, root_plan.kind, province)
            self.committees[(plan.index, root_plan.key)] = root
            roots.append(root)
        self._insert(Committee, roots)
        children = []
        for plan in self.plans:
            for committee_plan in plan.committees[1:]:
                parent = self.committees[(plan.index, committee_plan.parent_key)]
                child = unsaved(committee_plan.name, committee_plan.kind, parent)
                self.committees[(plan.index, committee_plan.key)] = child
                children.append(child)
        self._insert(Committee, children)
        everything = ([province] if province else []) + roots + children
        for committee in everything:
            parent_path = committee.parent.path if committee.parent else ""
            committee.path = parent_path + path_segment(committee.pk)
        Committee.objects.bulk_update(everything, ["path"], batch_size=BATCH_SIZE)
        self.top = province or roots[0]

    def _committee_staff(self) -> None:
        """A staff user for every committee; the demo logins are district, jishi and admin."""
        rng = random.Random("pledgewall-demo-staff")
        names = people.NameDrawer(rng)
        committees = sorted(self.committees.values(), key=lambda c: c.pk)
        if self.top not in committees:
            committees.insert(0, self.top)
        article_root = self.committees[(0, "root")]
        jishi_town = self.committees[(0, "town_a")]
        users, titles = [], []
        for committee in committees:
            if committee == article_root:
                surname, given, title = DISTRICT_STAFF_NAME
            else:
                name = names.draw(rng.choice([Gender.MALE, Gender.FEMALE]))
                surname, given, title = name[0], name[1:], "组织委员"
            if committee == self.top:
                username = DISTRICT
            elif committee == jishi_town:
                username = JISHI_STAFF
            else:
                username = f"staff{next(self.staff_numbers):04d}"
            users.append(
                self._user(username, surname, given, demo=username in (DISTRICT, JISHI_STAFF))
            )
            titles.append(title)
        admin = self._user(ADMIN, "", "", demo=True)
        admin.is_superuser = True
        organiser = self._user(ORGANISER, *ORGANISER_NAME[:2], demo=True)
        self._insert(get_user_model(), users + [admin, organiser])
        roles = [
            CommitteeStaff(user_id=user.pk, committee_id=committee.pk, title=title)
            for user, committee, title in zip(users, committees, titles, strict=True)
        ]
        roles.append(CommitteeStaff(user_id=admin.pk, committee_id=self.top.pk, title="系统管理员"))
        roles.append(
            CommitteeStaff(
                user_id=organiser.pk,
                committee_id=self.top.pk,
                role=StaffRole.ORGANISATION,
                title=ORGANISER_NAME[2],
            )
        )
        self._insert(CommitteeStaff, roles)
        self.staff_user_ids = {c.pk: u.pk for u, c in zip(users, committees, strict=True)}

    def _members_letter(self) -> None:
        """The top committee's 致全区党员的一封信 of the year under way: the first draft its
        page offers, signed by the committee and dated when the campaign began, so that
        every branch can print it from the start."""
        start = self.clock.start
        letter = MembersLetter(
            committee=self.top,
            year=self.clock.year,
            body=draft_letter_body(year=self.clock.year),
            signature=default_signature(self.top),
            dated=start.date(),
            updated_by_id=self.staff_user_ids[self.top.pk],
            updated_at=start,
            created_at=start,
        )
        self._insert(MembersLetter, [letter])

    def _user(self, username: str, surname: str, given: str, *, demo: bool):
        # Only the superuser enters the back office: its pages are not scoped by branch,
        # so secretaries and committee staff work in the role-scoped pages instead.
        return get_user_model()(
            username=username,
            last_name=surname,
            first_name=given,
            password=self.password if demo else self.unusable_password,
            is_staff=username == ADMIN,
        )

    # -----------------------------------------------------------------------
    # One district
    # -----------------------------------------------------------------------
    def _district(self, plan: shape.DistrictPlan) -> dict[str, int]:
        # One generator per district and year: the same district comes out the same at
        # any scale, whatever the year's date.
        rng = random.Random(f"pledgewall-demo:{plan.index}")
        contexts = self._branches_and_members(rng, plan)
        self._pairings(plan, contexts)
        pledges = 0
        for label, clock in zip(("last-year", "this-year"), self.clocks, strict=True):
            year_rng = random.Random(f"pledgewall-demo:{plan.index}:{label}")
            this_year = clock is self.clock
            drafts = pledging.district_pledges(
                year_rng, list(contexts.values()), clock, named=this_year
            )
            # Needs lists are this year's: last year's were all answered or set aside.
            needs_by_branch = {}
            if this_year:
                needs_by_branch = needs.district_needs(year_rng, list(contexts.values()), clock)
                needs.link_needs(year_rng, drafts, needs_by_branch)
            if self.play and this_year and plan.index in PLAYED_DISTRICTS:
                self._play(year_rng, plan, clock, contexts, drafts, needs_by_branch)
                self.progress(f"[{self.elapsed():6.1f} 秒] {clock.year}年：{len(drafts)} 条承诺")
            else:
                self._activity(
                    year_rng, plan, clock, list(contexts.values()), drafts, needs_by_branch
                )
            pledges += len(drafts)
        return {
            "branches": len(contexts),
            "members": sum(len(context.members) for context in contexts.values()),
            "pledges": pledges,
        }

    def _play(self, rng, plan, clock, contexts, drafts, needs_by_branch) -> None:
        committees, root = self._committees_of(plan)
        YearPlayer(
            rng=rng,
            clock=clock,
            contexts=list(contexts.values()),
            drafts=drafts,
            needs_by_branch=needs_by_branch,
            committees=committees,
            district_staff_id=self.staff_user_ids[root.pk],
        ).play()

    def _branches_and_members(self, rng, plan: shape.DistrictPlan) -> dict[str, BranchContext]:
        """Branches with their secretary users and members; the secretary is a member.

        Public tokens come from the district's own generator, apart from `rng` so that
        they change nothing else: the same seed prints the same QR codes.
        """
        token_rng = random.Random(f"pledgewall-demo-tokens:{plan.index}")
        members_by_branch = [
            people.branch_members(rng, branch_plan, self.clock.year)
            for branch_plan in plan.branches
        ]
        secretaries = []
        for branch_plan, members in zip(plan.branches, members_by_branch, strict=True):
            demo_login = SECRETARY_LOGINS.get(branch_plan.key)
            username = demo_login or f"sec{next(self.secretary_numbers):05d}"
            name = members[0].name
            secretaries.append(self._user(username, name[0], name[1:], demo=bool(demo_login)))
        self._insert(get_user_model(), secretaries)

        branches = [
            Branch(
                name=branch_plan.name,
                kind=branch_plan.kind,
                village=branch_plan.village,
                committee=self.committees[(plan.index, branch_plan.committee_key)],
                secretary_id=secretary.pk,
                public_token=self._token(token_rng),
            )
            for branch_plan, secretary in zip(plan.branches, secretaries, strict=True)
        ]
        for members in members_by_branch:
            for member in members:
                member.public_token = self._token(token_rng)
        self._insert(Branch, branches)

        contexts = {}
        for branch_plan, branch, secretary, members in zip(
            plan.branches, branches, secretaries, members_by_branch, strict=True
        ):
            for member in members:
                member.branch_id = branch.pk
            contexts[branch_plan.key] = BranchContext(
                plan=branch_plan,
                branch=branch,
                secretary_user_id=secretary.pk,
                staff_user_id=self.staff_user_ids[branch.committee_id],
                members=members,
            )
        self._insert(Member, [member for members in members_by_branch for member in members])
        return contexts

    def _token(self, rng: random.Random) -> str:
        """A public token drawn like branches.tokens.new_public_token, but from `rng`,
        and never one already in use or retired."""
        while True:
            token = "".join(rng.choices(TOKEN_ALPHABET, k=TOKEN_LENGTH))
            if token not in self.taken_tokens:
                self.taken_tokens.add(token)
                return token

    def _pairings(self, plan: shape.DistrictPlan, contexts: dict[str, BranchContext]) -> None:
        pairings = []
        for office_key, village_key in plan.pairings:
            contexts[office_key].paired_village = contexts[village_key]
            pairings += [
                Pairing(
                    office_branch_id=contexts[office_key].branch.pk,
                    village_branch_id=contexts[village_key].branch.pk,
                    year=clock.year,
                )
                for clock in self.clocks
            ]
        self._insert(Pairing, pairings)

    def _activity(self, rng, plan, clock, contexts, drafts, needs_by_branch) -> None:
        """Needs, pledges and everything their year left behind, in bulk."""
        self._insert(Need, [need for listed in needs_by_branch.values() for need in listed])
        self._insert(Pledge, [draft.pledge for draft in drafts])
        self._insert(Pledge.needs.through, needs.need_links(drafts))
        self._append(PledgeTransition, histories.transitions(rng, drafts))
        nodes = self._insert(TimeNode, histories.time_nodes(rng, drafts, clock))
        self._append(TimeNodeClosing, histories.node_closings(nodes))
        self._append(ProgressRecord, histories.progress_records(rng, drafts, clock))
        self._append(MonthlyReport, histories.monthly_reports(rng, contexts, drafts, clock))
        committees, root = self._committees_of(plan)
        calendar = BulkSessions(
            rng=rng,
            clock=clock,
            contexts=contexts,
            drafts=drafts,
            committees=committees,
            staff_user_ids={c.pk: self.staff_user_ids[c.pk] for c in committees},
            district_staff_id=self.staff_user_ids[root.pk],
        )
        self._insert(QuarterlyBriefing, calendar.briefings())
        self._append(QuarterlyReview, calendar.quarterly_reviews())
        feedback = self._insert(Feedback, calendar.feedback())
        self._insert(YearEndEvaluation, calendar.evaluations(feedback))
        calendar.hold_sessions()

    def _committees_of(self, plan: shape.DistrictPlan) -> tuple[list[Committee], Committee]:
        """The district's committees with branches of their own, and its root."""
        committees = [
            self.committees[(plan.index, committee.key)]
            for committee in plan.committees
            if any(branch.committee_key == committee.key for branch in plan.branches)
        ]
        return committees, self.committees[(plan.index, plan.committees[0].key)]


def _tokens_in_use() -> set[str]:
    """Tokens the database already holds: live ones of branches and members, and retired
    ones, which still answer a scan."""
    taken = set(Branch.objects.values_list("public_token", flat=True))
    taken.update(Member.objects.values_list("public_token", flat=True))
    taken.update(RetiredToken.objects.values_list("token", flat=True))
    return taken


def build_demo(
    *,
    scale: int,
    progress: Callable[[str], None] = _quiet,
    now: datetime.datetime | None = None,
    play: bool = True,
) -> Counter:
    """Build the demo data set into an empty database; returns rows written in bulk, by model.

    Two years: the one under way at `now` (default: the current time) up to yesterday,
    and the year before it, whole, its results published. Names, people and codes are
    the same whatever the day; statuses follow where the year stands.

    `play` plays the article district's year under way through the services (about 40
    seconds); without it every year is written in bulk, in the same shape (seconds).
    """
    return DemoBuilder(scale=scale, progress=progress, now=now, play=play).build()
