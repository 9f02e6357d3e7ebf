"""Approval and fill-in steps: modes, assignee kinds, every action, auto-pass, CC, withdraw and return."""
from __future__ import annotations

import pytest

from engines.flow import ActionRefused, TaskAction, Withdraw
from engines.flow.effects import CancelTask, WriteRecord
from tests.engines.flow.conftest import (BOSS, FIN_A, FIN_B, INITIATOR, MANAGER, OTHER, SUPER, chain, flow_doc)


def approval(id="a", **props):
    return {"id": id, "type": "approval", "assignees": {"role": "finance"}, **props}


def test_or_sign_first_decision_wins_and_others_are_cancelled(drive):
    d = drive(chain(approval(mode="or_sign")))
    d.start()
    assert d.pending() == [FIN_A, FIN_B]
    result = d.act(FIN_B)
    assert d.status == "completed"
    assert [e.assignee for e in result.effects if isinstance(e, CancelTask)] == [FIN_A]
    assert not d.state.open_tasks()


def test_countersign_needs_everyone(drive):
    d = drive(chain(approval(mode="countersign")))
    d.start()
    d.act(FIN_A)
    assert d.status == "running" and d.pending() == [FIN_B]
    d.act(FIN_B)
    assert d.status == "completed"


def test_countersign_one_rejection_rejects(drive):
    d = drive(chain(approval(mode="countersign")))
    d.start()
    d.act(FIN_A, "reject", comment="金额不对")
    assert d.status == "rejected"
    assert d.of("Finish")[-1].status == "rejected"
    assert not d.state.open_tasks()
    assert any(h.action == "reject" and h.detail == {"comment": "金额不对"} for h in d.history)


def test_sequential_one_after_another(drive):
    d = drive(chain(approval(mode="sequential", assignees=[{"role": "finance"}, {"user": BOSS}])))
    d.start()
    assert d.pending() == [FIN_A]
    d.act(FIN_A)
    assert d.pending() == [FIN_B] and d.created() == [FIN_B]
    d.act(FIN_B)
    assert d.pending() == [BOSS]
    d.act(BOSS)
    assert d.status == "completed"


def test_reject_edge_is_followed_when_defined(drive):
    doc = flow_doc([{"id": "start", "type": "start"}, approval(), {"id": "no", "type": "update_record",
                    "set": {"status": "'rejected'"}}, {"id": "end", "type": "end"}],
                   [("start", "a"), {"from": "a", "to": "end", "outcome": "approved"},
                    {"from": "a", "to": "no", "outcome": "rejected"}, ("no", "end")])
    d = drive(doc)
    d.start()
    d.act(FIN_A, "reject")
    assert d.status == "completed"
    assert WriteRecord("update", "refund", 100, {"status": "rejected"}) in d.effects


@pytest.mark.parametrize("spec, expected", [
    ({"user": OTHER}, [OTHER]),
    ({"users": [OTHER, SUPER]}, [OTHER, SUPER]),
    ({"role": "supervisor"}, [SUPER]),
    ({"department_head": {}}, [MANAGER]),
    ({"department_head": {"levels": 2}}, [BOSS]),
    ({"manager": {}}, [MANAGER]),
    ({"manager": {"levels": 2}}, [BOSS]),
    ({"field": "handler"}, [OTHER]),
    ([{"role": "finance"}, {"user": FIN_A}, {"user": OTHER}], [FIN_A, FIN_B, OTHER]),
])
def test_assignee_kinds(drive, spec, expected):
    d = drive(chain(approval(assignees=spec, mode="countersign")))
    d.start({"handler": OTHER})
    assert d.pending() == sorted(expected)


def test_no_assignee_fails_unless_told_otherwise(drive):
    d = drive(chain(approval(assignees={"field": "handler"})))
    d.start()
    assert d.status == "failed"
    d = drive(chain(approval(assignees={"field": "handler"}, when_empty="auto_approve")))
    d.start()
    assert d.status == "completed"
    d = drive(chain(approval(assignees={"field": "handler"}, fallback={"role": "admin"})))
    d.start()
    assert d.pending() == [BOSS]


def test_auto_pass_when_assignee_is_initiator(drive):
    d = drive(chain(approval(assignees={"user": INITIATOR})))
    d.start()
    assert d.status == "completed"
    assert any(h.action == "auto_pass" and h.by == INITIATOR for h in d.history)
    d = drive(chain(approval(assignees={"user": INITIATOR}, auto_pass={"initiator": False})))
    d.start()
    assert d.pending() == [INITIATOR]


def test_auto_pass_when_already_approved_in_this_run(drive):
    d = drive(chain(approval("a1", assignees={"user": BOSS}), approval("a2", assignees={"user": BOSS})))
    d.start()
    d.act(BOSS)
    assert d.status == "completed"
    d = drive(chain(approval("a1", assignees={"user": BOSS}),
                    approval("a2", assignees={"user": BOSS}, auto_pass={"already_approved": False})))
    d.start()
    d.act(BOSS)
    assert d.pending() == [BOSS]


def test_transfer_replaces_the_assignee(drive):
    d = drive(chain(approval(assignees={"user": MANAGER})))
    d.start()
    result = d.act(MANAGER, "transfer", to=OTHER)
    assert d.pending() == [OTHER] and d.created(result) == [OTHER]
    assert d.state.tasks[[t for t in d.state.tasks if d.state.tasks[t].assignee == MANAGER][0]].status == "transferred"
    with pytest.raises(ActionRefused):
        d.act(OTHER, "transfer", to=OTHER)
    d.act(OTHER)
    assert d.status == "completed"


def test_transfer_can_be_forbidden(drive):
    d = drive(chain(approval(assignees={"user": MANAGER}, allow_transfer=False)))
    d.start()
    with pytest.raises(ActionRefused) as refused:
        d.act(MANAGER, "transfer", to=OTHER)
    assert refused.value.problem.code == "flow_action_not_allowed"


def test_add_signer_before_holds_the_adder_until_they_agree(drive):
    d = drive(chain(approval(assignees={"user": MANAGER})))
    d.start()
    d.act(MANAGER, "add_signer", users=(OTHER, SUPER), where="before")
    assert d.pending() == [SUPER, OTHER]
    d.act(OTHER)
    assert d.pending() == [SUPER]
    d.act(SUPER)
    assert d.pending() == [MANAGER]  # back to the one who added them, to decide
    d.act(MANAGER)
    assert d.status == "completed"


def test_add_signer_after_approves_and_adds_followers(drive):
    d = drive(chain(approval(assignees={"user": MANAGER}, mode="sequential")))
    d.start()
    d.act(MANAGER, "add_signer", users=(OTHER, SUPER), where="after")
    assert d.pending() == [OTHER]  # sequential: one after another, in the order given
    d.act(OTHER)
    assert d.pending() == [SUPER]
    d.act(SUPER)
    assert d.status == "completed"


def test_add_signer_in_or_sign_keeps_added_signers_required(drive):
    d = drive(chain(approval(mode="or_sign")))
    d.start()
    d.act(FIN_A, "add_signer", users=(BOSS,), where="after")
    assert d.pending() == [BOSS]  # FIN_B's task went with FIN_A's approval; BOSS still has to agree
    d.act(BOSS)
    assert d.status == "completed"


def test_urge_reminds_the_waiting_assignees(drive):
    d = drive(chain(approval(mode="countersign")))
    d.start()
    task = d.task_for(FIN_A)
    result = d.send(TaskAction(d.now, task.id, "urge", INITIATOR))
    assert [n.to for n in d.of("Notify", result)] == [(FIN_A, FIN_B)]
    assert d.of("Notify", result)[0].reason == "urge"
    with pytest.raises(ActionRefused):
        d.send(TaskAction(d.now, task.id, "urge", OTHER))


def test_comment_is_recorded_without_deciding(drive):
    d = drive(chain(approval(assignees={"user": MANAGER})))
    d.start()
    d.act(MANAGER, "comment", comment="请补充发票")
    assert d.pending() == [MANAGER]
    assert any(h.action == "comment" and h.detail["comment"] == "请补充发票" for h in d.history)


def test_only_the_assignee_acts_and_only_once(drive):
    d = drive(chain(approval(assignees={"user": MANAGER})))
    d.start()
    task = d.task_for(MANAGER)
    with pytest.raises(ActionRefused) as refused:
        d.send(TaskAction(d.now, task.id, "approve", OTHER))
    assert refused.value.problem.code == "flow_not_assignee"
    d.act(MANAGER)
    with pytest.raises(ActionRefused) as refused:
        d.send(TaskAction(d.now, task.id, "approve", MANAGER))
    assert refused.value.problem.code == "flow_instance_closed"


def test_refused_action_changes_nothing(drive):
    d = drive(chain(approval(assignees={"user": MANAGER})))
    d.start()
    before = d.state
    with pytest.raises(ActionRefused):
        d.send(TaskAction(d.now, d.task_for(MANAGER).id, "fly", MANAGER))
    assert d.state is before and before.tasks[d.task_for(MANAGER).id].status == "pending"


def test_withdraw_by_initiator_before_anyone_acted(drive):
    d = drive(chain(approval(mode="countersign")))
    d.start()
    with pytest.raises(ActionRefused):
        d.send(Withdraw(d.now, OTHER))
    result = d.send(Withdraw(d.now, INITIATOR, "填错了"))
    assert d.status == "withdrawn"
    assert sorted(e.assignee for e in result.effects if isinstance(e, CancelTask)) == [FIN_A, FIN_B]
    assert not d.state.open_tasks()


def test_withdraw_refused_after_an_approver_acted_unless_anytime(drive):
    d = drive(chain(approval(mode="countersign")))
    d.start()
    d.act(FIN_A)
    with pytest.raises(ActionRefused) as refused:
        d.send(Withdraw(d.now, INITIATOR))
    assert refused.value.problem.code == "flow_withdraw_too_late"
    d = drive(chain(approval(mode="countersign"), withdraw="anytime"))
    d.start()
    d.act(FIN_A)
    d.send(Withdraw(d.now, INITIATOR))
    assert d.status == "withdrawn"


def test_return_to_an_earlier_step_redoes_it(drive):
    d = drive(chain(approval("a1", assignees={"user": MANAGER}), approval("a2", assignees={"user": BOSS})))
    d.start()
    d.act(MANAGER)
    d.act(BOSS, "return", to="a1", comment="经理再看看")
    assert d.pending() == [MANAGER]  # redone: the earlier approval does not auto-pass the redo
    assert d.state.instance.epoch == 1
    d.act(MANAGER)
    assert d.pending() == [BOSS]
    d.act(BOSS)
    assert d.status == "completed"


def test_return_to_a_step_not_passed_is_refused(drive):
    d = drive(chain(approval("a1", assignees={"user": MANAGER}), approval("a2", assignees={"user": BOSS})))
    d.start()
    with pytest.raises(ActionRefused) as refused:
        d.act(MANAGER, "return", to="a2")
    assert refused.value.problem.code == "flow_return_target"


def test_return_to_the_initiator_and_resubmit(drive):
    d = drive(chain(approval("a1", assignees={"user": MANAGER})))
    d.start()
    d.act(MANAGER, "return", to="start")
    task = d.task_for(INITIATOR)
    assert task.kind == "resubmit"
    d.send(TaskAction(d.now, task.id, "submit", INITIATOR, values={"amount": 280}))
    assert d.state.instance.record["amount"] == 280
    assert d.pending() == [MANAGER]
    d.act(MANAGER)
    assert d.status == "completed"


def test_cc_on_approval_and_read(drive):
    d = drive(chain(approval(assignees={"user": MANAGER}, cc={"user": OTHER})))
    d.start()
    d.act(MANAGER)
    assert d.of("Cc")[0].to == (OTHER,)
    cc = d.task_for(OTHER, "unread")
    d.send(TaskAction(d.now, cc.id, "read", OTHER))
    assert d.state.tasks[cc.id].status == "read"


def test_editable_fields_are_written_on_approval(drive):
    d = drive(chain(approval(assignees={"user": MANAGER}, editable=["reason"])))
    d.start()
    with pytest.raises(ActionRefused) as refused:
        d.act(MANAGER, values={"amount": 1})
    assert refused.value.problem.path == "/values/amount"
    result = d.act(MANAGER, values={"reason": "同意"})
    assert WriteRecord("update", "refund", 100, {"reason": "同意"}) in result.effects


def test_fill_in_requires_its_fields(drive):
    d = drive(chain({"id": "fill", "type": "fill_in", "assignees": {"field": "handler"},
                     "fields": [{"field": "reason"}, {"field": "due_on", "required": False}]}))
    d.start({"handler": OTHER})
    with pytest.raises(ActionRefused) as refused:
        d.act(OTHER, "submit", values={})
    assert refused.value.problem.code == "flow_missing_fill"
    with pytest.raises(ActionRefused):
        d.act(OTHER, "reject")
    d.act(OTHER, "submit", values={"reason": "客户要求"})
    assert d.status == "completed"
    assert d.state.tasks[[k for k, t in d.state.tasks.items() if t.assignee == OTHER][0]].status == "submitted"
