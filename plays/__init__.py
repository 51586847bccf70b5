"""Plays: the follow-up work that acts on a customer's risk.

A play is one piece of follow-up work on a customer (owner, due date, status, steps), opened by
hand on the customer page or by the nightly job from an admin-edited playbook, one per warning
sign (trigger). ``models`` holds playbooks, plays and their steps; ``triggers`` what opens a play
and the playbooks installed by default; ``opening`` the nightly, set-based opening; ``services``
the writes (open, step done, close) with their rules; ``selectors`` the reads (My plays, a
customer's plays, the nav count); ``effect`` what closed plays did to the risk afterwards
(``effect_summary``: per playbook, in one query, for the executive dashboard);
``action_plays`` the plays that follow a handover or a churn (receivers of the core's signals).
"""
