from django.urls import path

from pledges.views import branches, codes, drafting, feedback, manuals, needs, practice

app_name = "pledges"

urlpatterns = [
    # The branches and their members, with their pledge figures (the member pages that
    # write are in branches.urls)
    path("branches/", branches.branch_list, name="branch_list"),
    path("branches/<int:branch_id>/", branches.branch_detail, name="branch_detail"),
    path("branches/<int:branch_id>/members/", branches.member_list, name="members"),
    # 研诺: the needs list
    path("branches/<int:branch_id>/needs/", needs.need_list, name="needs"),
    path("branches/<int:branch_id>/needs/add/", needs.need_add, name="need_add"),
    path("branches/<int:branch_id>/needs/merge/", needs.need_merge, name="need_merge"),
    path("needs/<int:need_id>/edit/", needs.need_edit, name="need_edit"),
    path("needs/<int:need_id>/resolve/", needs.need_resolve, name="need_resolve"),
    path("needs/<int:need_id>/drop/", needs.need_drop, name="need_drop"),
    path("needs/<int:need_id>/reopen/", needs.need_reopen, name="need_reopen"),
    # 定诺: writing pledges and printing the letters
    path("branches/<int:branch_id>/pledges/", drafting.branch_pledges, name="branch_pledges"),
    path("branches/<int:branch_id>/pledges/add/", drafting.pledge_add, name="pledge_add"),
    path("pledges/<int:pledge_id>/edit/", drafting.pledge_edit, name="pledge_edit"),
    path("pledges/<int:pledge_id>/letter/", drafting.pledge_letter, name="pledge_letter"),
    path("branches/<int:branch_id>/letters/", drafting.branch_letters, name="branch_letters"),
    # Approval, 示诺 and 践诺: the moves, the review queue, progress
    path("pledges/<int:pledge_id>/", practice.pledge_detail, name="pledge_detail"),
    path("pledges/<int:pledge_id>/move/<slug:move>/", practice.pledge_move, name="pledge_move"),
    path("pledges/<int:pledge_id>/review/", practice.pledge_review, name="pledge_review"),
    path("approvals/", practice.approvals, name="approvals"),
    path("approvals/approve/", practice.approve_many, name="approve_many"),
    path("branches/<int:branch_id>/publish/", practice.publish_many, name="publish_many"),
    path("pledges/<int:pledge_id>/progress/add/", practice.progress_add, name="progress_add"),
    path(
        "pledges/<int:pledge_id>/nodes/<int:node_id>/close/",
        practice.time_node_close_view,
        name="time_node_close",
    ),
    path(
        "pledges/<int:pledge_id>/complete/", practice.pledge_complete_view, name="pledge_complete"
    ),
    # 示诺 on the wall: printed QR codes, reissue, consent
    path("branches/<int:branch_id>/codes/wall/", codes.wall_sheet, name="wall_sheet"),
    path("branches/<int:branch_id>/codes/poster/", codes.poster, name="poster"),
    path("members/<int:member_id>/reissue/", codes.member_reissue, name="member_reissue"),
    path(
        "members/<int:member_id>/public-page/",
        codes.member_public_page,
        name="member_public_page",
    ),
    # 服务对象评议 and changes after publication
    path("pledges/<int:pledge_id>/feedback/", feedback.pledge_feedback, name="pledge_feedback"),
    path(
        "feedback/<int:feedback_id>/moderate/", feedback.feedback_moderate, name="feedback_moderate"
    ),
    path("branches/<int:branch_id>/feedback/", feedback.branch_feedback, name="branch_feedback"),
    path("pledges/<int:pledge_id>/amend/", feedback.pledge_amend, name="pledge_amend"),
    # 一图三册 on paper: the record manual and the letter to all members
    path("branches/<int:branch_id>/manuals/record/", manuals.record_manual, name="record_manual"),
    path("branches/<int:branch_id>/letter/", manuals.members_letter, name="members_letter"),
    path("letter/", manuals.letter_edit, name="letter_edit"),
]
