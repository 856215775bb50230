package dev.hitl.approval.ui;

import static dev.hitl.approval.ui.Html.each;
import static dev.hitl.approval.ui.Html.html;
import static dev.hitl.approval.ui.Html.pathSegment;
import static dev.hitl.approval.ui.Html.when;

import dev.hitl.approval.api.ReviewApi.Change;
import dev.hitl.approval.api.ReviewApi.Detail;
import dev.hitl.approval.api.ReviewApi.Modification;
import dev.hitl.approval.api.ReviewApi.Stage;
import dev.hitl.approval.api.ReviewApi.Summary;
import dev.hitl.approval.api.ReviewApi.TrackRecord;
import dev.hitl.approval.ui.Html.Safe;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;

/**
 * The pages of the web UI, rendered on the server. Every value goes through {@link Html#html}, so
 * text an agent wrote (and a reviewer's own input) is always shown as text. No inline script or
 * style: behaviour is in {@code /ui/static/app.js}, looks in {@code /ui/static/app.css}.
 */
public final class Views {

    private Views() {}

    /**
     * Who is looking at a page.
     *
     * @param name the user name
     * @param displayName the name to show
     * @param groups the reviewer's groups
     * @param csrf the session's CSRF token
     */
    public record Viewer(String name, String displayName, List<String> groups, String csrf) {}

    /**
     * @param error what went wrong at the last attempt, or null
     * @param username the user name typed, or null
     * @param loginToken the sign-in form's CSRF token
     * @param next where to go after signing in, or null
     * @return the sign-in page
     */
    public static Safe login(final String error, final String username, final String loginToken, final String next) {
        return page(
                "Sign in",
                null,
                html(
                        """
                        <main class="signin">
                          <h1>Sign in to review</h1>
                          <p class="muted">Human approval for AI agents' actions.</p>
                          {}
                          <form method="post" action="/ui/login" class="stack">
                            <input type="hidden" name="_csrf" value="{}">
                            {}
                            <label>User name <input name="username" autocomplete="username" required autofocus value="{}"></label>
                            <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
                            <button type="submit" class="primary" id="sign-in">Sign in</button>
                          </form>
                        </main>""",
                        when(error != null, html("<p class=\"error\" role=\"alert\">{}</p>", error)),
                        loginToken,
                        when(next != null, html("<input type=\"hidden\" name=\"next\" value=\"{}\">", next)),
                        username == null ? "" : username));
    }

    /**
     * @param viewer the reviewer
     * @param items the open requests of the reviewer's groups, soonest deadline first
     * @param votedOn actions the reviewer has already voted on at their current level
     * @param flash a note on the last action, or null
     * @param now the time
     * @return the inbox page
     */
    public static Safe inbox(
            final Viewer viewer,
            final List<Summary> items,
            final Set<String> votedOn,
            final String flash,
            final Instant now) {
        return inbox(viewer, items, items.size(), votedOn, flash, now);
    }

    /**
     * @param viewer the reviewer
     * @param items the open requests of the reviewer's groups with the soonest deadlines, soonest first
     * @param total how many requests of the reviewer's groups are open (more than shown when the inbox
     *     is longer than a page)
     * @param votedOn actions the reviewer has already voted on at their current level
     * @param flash a note on the last action, or null
     * @param now the time
     * @return the inbox page
     */
    public static Safe inbox(
            final Viewer viewer,
            final List<Summary> items,
            final int total,
            final Set<String> votedOn,
            final String flash,
            final Instant now) {
        return page(
                "Inbox (" + items.size() + ")",
                viewer,
                html(
                        """
                        <main class="inbox-page">
                          <div class="title-row">
                            <h1>Inbox <span class="count" id="count">{}</span></h1>
                            <span class="live" id="live" data-state="connecting">connecting…</span>
                          </div>
                          {}{}
                          <p class="empty" id="empty"{}>Nothing is waiting for your groups. New requests appear here as they arrive.</p>
                          <ul class="inbox" id="inbox" data-events="/ui/events">{}</ul>
                        </main>""",
                        items.size(),
                        when(flash != null, html("<p class=\"flash\" role=\"status\">{}</p>", flash)),
                        when(
                                total > items.size(),
                                html(
                                        "<p class=\"more\" id=\"more\">{} requests are waiting: these are the {} with"
                                                + " the soonest deadlines. The others appear as these are decided"
                                                + " (reload), or list them all with the API.</p>",
                                        total,
                                        items.size())),
                        when(!items.isEmpty(), html(" hidden")),
                        each(
                                lines(items),
                                line -> line.size() == 1 && line.get(0).batchId() == null
                                        ? item(
                                                line.get(0),
                                                votedOn.contains(line.get(0).actionId()),
                                                now)
                                        : batchItem(line, now))));
    }

    /** The inbox's lines: a request alone, or all open requests of one batch together (in deadline order). */
    private static List<List<Summary>> lines(final List<Summary> items) {
        final java.util.Map<String, List<Summary>> lines = new java.util.LinkedHashMap<>();
        for (final Summary s : items) {
            final String key = s.batchId() == null ? "a:" + s.actionId() : "b:" + s.batchId();
            lines.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(s);
        }
        return List.copyOf(lines.values());
    }

    /**
     * One inbox line for a whole batch; {@code app.js} builds the same markup for live arrivals.
     *
     * @param members the batch's open requests, soonest deadline first
     * @param now the time
     * @return the line
     */
    static Safe batchItem(final List<Summary> members, final Instant now) {
        final Summary s = members.get(0);
        return html(
                """
                <li class="item batch" data-action-id="batch:{}" data-batch-id="{}" data-deadline="{}">
                  <a class="item-link" href="/ui/batches/{}">
                    <span class="risk {}">{}</span>
                    <span class="item-main">
                      <span class="action-type">{}</span>
                      <span class="item-meta">batch of <b class="batch-count">{}</b> · agent <b>{}</b></span>
                    </span>
                    <span class="tags"><span class="tag">batch {}</span></span>
                    <span class="deadline" data-deadline="{}">{}</span>
                  </a>
                </li>""",
                s.batchId(),
                s.batchId(),
                s.deadline(),
                pathSegment(s.batchId()),
                riskCss(s.riskClass()),
                riskLabel(s.riskClass()),
                s.actionType(),
                members.size(),
                s.agentId(),
                s.batchId(),
                s.deadline(),
                remaining(s.deadline(), now));
    }

    /**
     * A batch: the summary, representative samples, every request with a checkbox to leave it out,
     * approve all / reject all (reason required).
     *
     * @param viewer the reviewer
     * @param batchId the batch
     * @param summary the batch's summary
     * @param members the open requests the reviewer may vote on, soonest deadline first
     * @param deadline the soonest deadline (ISO-8601), or null
     * @param notVotable requests of the batch the reviewer may not vote on, with why
     * @param prettySamples the samples' arguments, pretty-printed, in the order of the summary's samples
     * @param error why the last vote did not count, or null
     * @param now the time
     * @return the page
     */
    public static Safe batch(
            final Viewer viewer,
            final String batchId,
            final Batches.Summary summary,
            final List<Batches.Member> members,
            final String deadline,
            final List<Summary> notVotable,
            final List<String> prettySamples,
            final String error,
            final Instant now) {
        final List<Integer> indexes =
                java.util.stream.IntStream.range(0, members.size()).boxed().toList();
        final List<Integer> sampleIndexes = java.util.stream.IntStream.range(
                        0, summary.samples().size())
                .boxed()
                .toList();
        final int shownTargets = 10;
        return page(
                "Batch " + batchId,
                viewer,
                html(
                        """
                        <main class="batch-page" data-batch-id="{}">
                          <p class="back"><a href="/ui">← Inbox</a></p>
                          <header class="card-head">
                            <h1>Batch {}: <span id="batch-count">{}</span> × {}</h1>
                            <span class="deadline big" data-deadline="{}">{}</span>
                          </header>
                          {}
                          <section class="facts batch-summary">
                            <h2>Summary</h2>
                            <dl>
                              <dt>Requests</dt><dd id="summary-count">{}</dd>
                              <dt>Action type</dt><dd>{}</dd>
                              <dt>Agent</dt><dd>{}</dd>
                              <dt>Template</dt><dd><pre class="json" id="template">{}</pre></dd>
                              <dt>Keys in every request</dt><dd>{}</dd>
                              <dt>Same in every request</dt><dd>{}</dd>
                              <dt>Targets</dt><dd id="targets">{}{}</dd>
                              <dt>Total cost</dt><dd id="total-cost">{}</dd>
                            </dl>
                          </section>
                          <section class="samples">
                            <h2>Representative samples (most different from each other)</h2>
                            {}
                          </section>
                          <form method="post" action="/ui/batches/{}/vote" class="stack" id="batch-form">
                            <input type="hidden" name="_csrf" value="{}">
                            <h2>Every request</h2>
                            <p class="muted small">Tick a request to leave it out: it stays in your inbox for review on its own card.
                            Each request still gets its own vote and decision.</p>
                            <table class="batch-items">
                              <thead><tr><th>Leave out</th><th>Request</th><th>Target</th><th>Arguments</th></tr></thead>
                              <tbody>{}</tbody>
                            </table>
                            {}
                            <button type="submit" class="primary approve" name="verdict" value="APPROVE" id="approve-all" formnovalidate>Approve all not left out</button>
                            <label>Reason to reject (the agent gets it as feedback)
                              <textarea name="reason" id="batch-reason" rows="2" required></textarea></label>
                            <button type="submit" class="danger" name="verdict" value="REJECT" id="reject-all">Reject all not left out</button>
                          </form>
                        </main>""",
                        batchId,
                        batchId,
                        summary.count(),
                        String.join(", ", summary.actionTypes()),
                        deadline,
                        deadline == null ? "" : remaining(deadline, now),
                        when(error != null, html("<p class=\"error\" role=\"alert\" id=\"vote-error\">{}</p>", error)),
                        summary.count(),
                        String.join(", ", summary.actionTypes()),
                        String.join(", ", summary.agents()),
                        summary.template(),
                        summary.commonKeys().isEmpty()
                                ? html("<span class=\"muted\">—</span>")
                                : each(summary.commonKeys(), k -> html("<code>{}</code> ", k)),
                        summary.sameValues().isEmpty()
                                ? html("<span class=\"muted\">nothing</span>")
                                : each(
                                        summary.sameValues().entrySet(),
                                        e -> html("<code>{}</code> = <code>{}</code><br>", e.getKey(), e.getValue())),
                        String.join(
                                ", ",
                                summary.targets().stream().limit(shownTargets).toList()),
                        when(
                                summary.targets().size() > shownTargets,
                                html(" and {} more", summary.targets().size() - shownTargets)),
                        summary.totalCost().isEmpty()
                                ? html("<span class=\"muted\">none given</span>")
                                : html("{}", String.join(" + ", summary.totalCost())),
                        each(
                                sampleIndexes,
                                i -> html(
                                        """
                                <article class="sample">
                                  <h3><a href="/ui/requests/{}">{}</a> <span class="muted">{}</span></h3>
                                  <pre class="json">{}</pre>
                                </article>""",
                                        pathSegment(summary.samples().get(i).actionId()),
                                        summary.samples().get(i).actionId(),
                                        summary.samples().get(i).target() == null
                                                ? ""
                                                : summary.samples().get(i).target(),
                                        prettySamples.get(i))),
                        pathSegment(batchId),
                        viewer.csrf(),
                        each(
                                indexes,
                                i -> html(
                                        """
                                <tr data-action-id="{}">
                                  <td><input type="hidden" name="item.{}" value="{}">
                                    <input type="checkbox" class="exclude" name="exclude.{}" value="{}" aria-label="Leave out {}"></td>
                                  <td><a href="/ui/requests/{}">{}</a></td>
                                  <td>{}</td>
                                  <td><code class="args">{}</code></td>
                                </tr>""",
                                        members.get(i).actionId(),
                                        i,
                                        members.get(i).actionId(),
                                        i,
                                        members.get(i).actionId(),
                                        members.get(i).actionId(),
                                        pathSegment(members.get(i).actionId()),
                                        members.get(i).actionId(),
                                        members.get(i).target() == null
                                                ? ""
                                                : members.get(i).target(),
                                        members.get(i).arguments())),
                        when(
                                !notVotable.isEmpty(),
                                html(
                                        "<p class=\"notice\" id=\"not-votable\">Not in this vote: {}</p>",
                                        String.join(
                                                "; ",
                                                notVotable.stream()
                                                        .map(n -> n.actionId() + " (" + n.cannotVoteBecause() + ")")
                                                        .toList())))));
    }

    /**
     * One inbox line; {@code app.js} builds the same markup for live arrivals.
     *
     * @param s the request
     * @param voted whether the reviewer already voted on it
     * @param now the time
     * @return the line
     */
    static Safe item(final Summary s, final boolean voted, final Instant now) {
        return html(
                """
                <li class="item" data-action-id="{}" data-deadline="{}" data-version="{}">
                  <a class="item-link" href="/ui/requests/{}">
                    <span class="risk {}">{}</span>
                    <span class="item-main">
                      <span class="action-type">{}</span>
                      <span class="item-meta">agent <b>{}</b> for {}{}</span>
                    </span>
                    <span class="tags">{}{}{}{}</span>
                    <span class="deadline" data-deadline="{}">{}</span>
                  </a>
                </li>""",
                s.actionId(),
                s.deadline(),
                s.actionVersion(),
                pathSegment(s.actionId()),
                riskCss(s.riskClass()),
                riskLabel(s.riskClass()),
                s.actionType(),
                s.agentId(),
                s.onBehalfOf(),
                when(s.target() != null, html(" · <span class=\"target\">{}</span>", s.target())),
                when(s.batchId() != null, html("<span class=\"tag\">batch {}</span>", s.batchId())),
                modifiedTag(s),
                when(!s.canVote(), html("<span class=\"tag warn\">{}</span>", s.cannotVoteBecause())),
                when(voted, html("<span class=\"tag ok\">you voted</span>")),
                s.deadline(),
                remaining(s.deadline(), now));
    }

    /** The inbox line's mark of a modified version ({@code app.js} writes the same for live arrivals). */
    private static Safe modifiedTag(final Summary s) {
        return when(
                s.actionVersion() > 0,
                html(
                        "<span class=\"tag warn modified\">modified by {} · version {}</span>",
                        s.modifiedBy(),
                        s.actionVersion()));
    }

    /**
     * A request's card.
     *
     * @param viewer the reviewer
     * @param d the request with its context
     * @param prettyArguments the arguments to approve, pretty-printed
     * @param error why the last vote did not count, or null
     * @param renderedAt when the card was rendered (for the time on card)
     * @return the card page
     */
    public static Safe card(
            final Viewer viewer,
            final Detail d,
            final String prettyArguments,
            final String error,
            final Instant renderedAt) {
        return card(viewer, d, prettyArguments, null, error, renderedAt);
    }

    /**
     * A request's card. A modified version of the action is marked as asked again, with who modified
     * it, why, and each change against the agent's original.
     *
     * @param viewer the reviewer
     * @param d the request with its context
     * @param prettyArguments the arguments to approve, pretty-printed
     * @param earlierVote the earlier version of the action the reviewer voted on (that vote no
     *     longer counts), or null
     * @param error why the last vote did not count, or null
     * @param renderedAt when the card was rendered (for the time on card)
     * @return the card page
     */
    public static Safe card(
            final Viewer viewer,
            final Detail d,
            final String prettyArguments,
            final Integer earlierVote,
            final String error,
            final Instant renderedAt) {
        final Summary s = d.summary();
        return page(
                s.actionType() + " · " + s.agentId(),
                viewer,
                html(
                        """
                        <main class="card-page" data-action-id="{}">
                          <p class="back"><a href="/ui">← Inbox</a></p>
                          <header class="card-head">
                            <span class="risk {}">{}</span>
                            <h1>{} <span class="muted">via {}</span></h1>
                            <span class="deadline big" data-deadline="{}">{}</span>
                          </header>
                          <div class="card-grid">
                            <div class="context">
                              {}{}
                              <section><h2>What the user asked</h2>{}</section>
                              <section>
                                <h2 id="arguments-title">{}</h2>
                                <pre class="json" id="original-args">{}</pre>
                              </section>
                              <section><h2>Why the agent wants this</h2>{}</section>
                              <section><h2>Expected outcome</h2>{}</section>
                              <section><h2>Risks the agent sees</h2>{}</section>
                              <section><h2>Steps so far</h2>{}</section>
                              <section><h2>Alternatives it considered</h2>{}</section>
                            </div>
                            <aside class="side">
                              {}
                              <section class="why">
                                <h2>Why a human decides</h2>
                                {}
                                <h3>Rules matched</h3>{}
                                <h3>Triggers fired</h3>{}
                                <p class="muted small">Policy {} · agent autonomy {}</p>
                              </section>
                              <section class="facts">
                                <h2>At a glance</h2>
                                <dl>
                                  <dt>Agent</dt><dd>{}</dd>
                                  <dt>On behalf of</dt><dd>{}</dd>
                                  <dt>Target</dt><dd>{}</dd>
                                  <dt>Cost</dt><dd>{}</dd>
                                  <dt>Systems</dt><dd>{}</dd>
                                  <dt>Input trust</dt><dd>{}</dd>
                                  <dt>Domain</dt><dd>{}</dd>
                                  <dt>Risk score</dt><dd>{}</dd>
                                  <dt>Tier · level</dt><dd>{} · escalation {}</dd>
                                  <dt>Version</dt><dd id="version">{}</dd>
                                  <dt>Your stages</dt><dd>{}</dd>
                                  {}
                                </dl>
                              </section>
                              <section class="record">
                                <h2>Track record for {}</h2>
                                {}
                              </section>
                            </aside>
                          </div>
                        </main>""",
                        s.actionId(),
                        riskCss(s.riskClass()),
                        riskLabel(s.riskClass()),
                        s.actionType(),
                        s.tool(),
                        s.deadline(),
                        remaining(s.deadline(), renderedAt),
                        modification(s, d.modification(), earlierVote),
                        when(
                                d.instructionConflict() != null,
                                html(
                                        "<section class=\"alert\"><h2>Conflicts with earlier instructions</h2><p>{}</p></section>",
                                        d.instructionConflict())),
                        text(d.userRequest(), "blockquote"),
                        s.actionVersion() > 0
                                ? "Arguments to approve (version " + s.actionVersion() + ")"
                                : "Arguments",
                        prettyArguments,
                        text(d.rationale(), "p"),
                        text(d.expectedOutcome(), "p"),
                        list(d.risks(), "ul"),
                        list(d.stepsSoFar(), "ol"),
                        list(d.alternatives(), "ul"),
                        decide(viewer, d, prettyArguments, error, renderedAt),
                        list(d.reasons(), "ul"),
                        d.matchedRules() == null || d.matchedRules().isEmpty()
                                ? html("<p class=\"muted\">none</p>")
                                : html(
                                        "<ul class=\"codes\">{}</ul>",
                                        each(d.matchedRules(), r -> html("<li><code>{}</code></li>", r))),
                        list(d.triggers(), "ul"),
                        orNone(d.policyVersion()),
                        d.autonomyLevel(),
                        s.agentId(),
                        s.onBehalfOf(),
                        orNone(s.target()),
                        orNone(d.cost()),
                        d.systemsAffected() == null || d.systemsAffected().isEmpty()
                                ? html("<span class=\"muted\">none named</span>")
                                : html("{}", String.join(", ", d.systemsAffected())),
                        html(
                                "<span class=\"trust {}\">{}</span>",
                                lowTrust(d.inputTrust()) ? "low" : "ok",
                                lowTrust(d.inputTrust()) ? d.inputTrust() + " (low trust)" : d.inputTrust()),
                        orNone(d.domain()),
                        String.format(java.util.Locale.ROOT, "%.2f", s.score()),
                        s.tier(),
                        s.escalationLevel(),
                        s.actionVersion() > 0
                                ? html("{} (modified by {})", s.actionVersion(), s.modifiedBy())
                                : html("0 (the agent's proposal)"),
                        each(s.stages(), st -> html("<span class=\"tag\">{}</span> ", st.group())),
                        when(s.batchId() != null, html("<dt>Batch</dt><dd>{}</dd>", s.batchId())),
                        s.actionType(),
                        record(d.trackRecord())));
    }

    /**
     * The notice on a modified version's card: who modified it and why, that the reviewer is asked
     * again, and every change against the agent's original (all of it untrusted text, escaped).
     */
    private static Safe modification(final Summary s, final Modification m, final Integer earlierVote) {
        if (m == null || s.actionVersion() == 0) {
            return Html.empty();
        }
        return html(
                """
                <section class="modified" id="modification">
                  <h2>Modified by <span id="modified-by">{}</span> — you are asked again</h2>
                  <p>This is version {} of the action: a reviewer changed the agent's arguments. Approvals of
                  earlier versions no longer count; approve only if these arguments should run.{}</p>
                  <h3>Their reason</h3>
                  <p id="modification-reason">{}</p>
                  <h3>Changes against the agent's original</h3>
                  {}
                  <details id="agent-arguments">
                    <summary>The agent's original arguments</summary>
                    <pre class="json" id="agent-args">{}</pre>
                  </details>
                </section>""",
                m.modifiedBy(),
                s.actionVersion(),
                when(
                        earlierVote != null,
                        html(
                                " <strong id=\"earlier-vote\">Your vote on version {} no longer counts.</strong>",
                                earlierVote)),
                m.reason() == null || m.reason().isBlank() ? "No reason given." : m.reason(),
                changes(m.changes()),
                UiController.prettyJson(m.originalArguments()));
    }

    /** The changes of a modified version, one row each: path, kind, the agent's value, the new one. */
    private static Safe changes(final List<Change> changes) {
        if (changes == null || changes.isEmpty()) {
            return html("<p class=\"muted\" id=\"changes\">No change to the values.</p>");
        }
        return html("""
                <table class="changes" id="changes">
                  <thead><tr><th>Path</th><th>Change</th><th>Agent's value</th><th>To approve</th></tr></thead>
                  <tbody>{}</tbody>
                </table>""", each(changes, Views::change));
    }

    private static Safe change(final Change c) {
        return html(
                """
                <tr class="change {}" data-path="{}"><td><code class="path">{}</code></td><td>{}</td>\
                <td class="before">{}</td><td class="after">{}</td></tr>""",
                c.change() == null ? "" : c.change().toLowerCase(java.util.Locale.ROOT),
                c.path(),
                c.path(),
                changeWord(c.change()),
                c.before() == null ? html("<span class=\"muted\">—</span>") : html("<code>{}</code>", c.before()),
                c.after() == null ? html("<span class=\"muted\">—</span>") : html("<code>{}</code>", c.after()));
    }

    private static String changeWord(final String change) {
        return switch (change == null ? "" : change) {
            case "ADDED" -> "added";
            case "REMOVED" -> "removed";
            case "CHANGED" -> "changed";
            default -> String.valueOf(change);
        };
    }

    private static Safe decide(
            final Viewer viewer,
            final Detail d,
            final String prettyArguments,
            final String error,
            final Instant renderedAt) {
        final Summary s = d.summary();
        if (!s.canVote()) {
            return html("""
                    <section class="decide">
                      <h2>Decide</h2>
                      <p class="notice" id="cannot-vote">You cannot vote on this request: it is {}. Another reviewer must decide.</p>
                    </section>""", s.cannotVoteBecause());
        }
        final String action = "/ui/requests/" + pathSegment(s.actionId()) + "/vote";
        final Safe common = html(
                """
                <input type="hidden" name="_csrf" value="{}">
                <input type="hidden" name="requestVersion" value="{}">
                <input type="hidden" name="actionVersion" value="{}">
                <input type="hidden" name="argumentsHash" value="{}">
                <input type="hidden" name="renderedAt" value="{}">
                {}""",
                viewer.csrf(),
                s.escalationLevel(),
                s.actionVersion(),
                d.argumentsHash() == null ? "" : d.argumentsHash(),
                renderedAt.toEpochMilli(),
                stageField(s.stages()));
        return html(
                """
                <section class="decide">
                  <h2>Decide</h2>
                  {}
                  <form method="post" action="{}" class="stack" id="approve-form">
                    {}
                    <input type="hidden" name="verdict" value="APPROVE">
                    <button type="submit" class="primary approve" id="approve">{}</button>
                  </form>
                  <details id="reject-box">
                    <summary>Reject…</summary>
                    <form method="post" action="{}" class="stack" id="reject-form">
                      {}
                      <input type="hidden" name="verdict" value="REJECT">
                      <label>Reason (the agent gets it as feedback)
                        <textarea name="reason" id="reject-reason" rows="3" required></textarea></label>
                      <button type="submit" class="danger" id="reject">Reject</button>
                    </form>
                  </details>
                  <details id="modify-box">
                    <summary>Modify the arguments…</summary>
                    <form method="post" action="{}" class="stack" id="modify-form">
                      {}
                      <input type="hidden" name="verdict" value="MODIFY">
                      <label>Arguments (a JSON object)
                        <textarea name="modifiedArguments" id="modified-args" rows="10" spellcheck="false" required>{}</textarea></label>
                      <p class="error" id="args-error" role="alert" hidden></p>
                      <label>Reason (required)
                        <textarea name="reason" id="modify-reason" rows="2" required></textarea></label>
                      <button type="button" id="show-diff">Show changes</button>
                      <div id="diff-box" hidden>
                        <h3>Changes to the arguments</h3>
                        <pre class="diff" id="diff"></pre>
                      </div>
                      <button type="submit" class="primary" id="send-modify" disabled>Approve with these arguments</button>
                    </form>
                  </details>
                </section>""",
                when(error != null, html("<p class=\"error\" role=\"alert\" id=\"vote-error\">{}</p>", error)),
                action,
                common,
                s.actionVersion() > 0 ? "Approve version " + s.actionVersion() : "Approve",
                action,
                common,
                action,
                common,
                prettyArguments);
    }

    private static Safe stageField(final List<Stage> stages) {
        if (stages == null || stages.size() <= 1) {
            return stages == null || stages.isEmpty()
                    ? Html.empty()
                    : html(
                            "<input type=\"hidden\" name=\"stageIndex\" value=\"{}\">",
                            stages.get(0).stageIndex());
        }
        return html(
                "<label>Answer for <select name=\"stageIndex\">{}</select></label>",
                each(stages, st -> html("<option value=\"{}\">{}</option>", st.stageIndex(), st.group())));
    }

    private static Safe record(final TrackRecord r) {
        if (r == null) {
            return html("<p class=\"muted\">No human decisions on this agent and action type yet.</p>");
        }
        return html("""
                <dl class="counts">
                  <dt>Approved</dt><dd>{}</dd><dt>Modified</dt><dd>{}</dd>
                  <dt>Rejected</dt><dd>{}</dd><dt>Timed out</dt><dd>{}</dd>
                </dl>
                <p class="muted small">{} decisions in all · autonomy {}</p>""", r.approved(), r.modified(), r.rejected(), r.timedOut(), r.total(), r.autonomyLevel());
    }

    /**
     * @param viewer the admin
     * @param signals every reviewer's fatigue signals
     * @return the fatigue page
     */
    public static Safe fatigue(final Viewer viewer, final List<dev.hitl.approval.fatigue.Fatigue.Signals> signals) {
        return page(
                "Reviewer fatigue",
                viewer,
                html(
                        """
                        <main class="fatigue-page">
                          <h1>Reviewer fatigue</h1>
                          <p class="muted">Over the last 24 h. Flagged as possible rubber-stamping: at least {} votes,
                          an approve rate above {}% and a median time on card under {} s.</p>
                          <table class="batch-items" id="fatigue">
                            <thead><tr><th>Reviewer</th><th>Decisions, last hour</th><th>Votes, 24 h</th>
                            <th>Median time on card</th><th>Approve rate</th><th>Signal</th></tr></thead>
                            <tbody>{}</tbody>
                          </table>
                          {}
                        </main>""",
                        dev.hitl.approval.fatigue.Fatigue.MIN_VOTES,
                        Math.round(dev.hitl.approval.fatigue.Fatigue.STAMP_APPROVE_RATE * 100),
                        dev.hitl.approval.fatigue.Fatigue.STAMP_TIME_ON_CARD.toSeconds(),
                        each(
                                signals,
                                f -> html(
                                        """
                                <tr data-reviewer="{}"><td>{}</td><td class="last-hour">{}</td><td class="votes">{}</td>
                                <td class="median">{}</td><td class="approve-rate">{}</td><td class="signal">{}</td></tr>""",
                                        f.reviewer(),
                                        f.reviewer(),
                                        f.lastHour(),
                                        f.votes(),
                                        f.medianTimeOnCard() == null
                                                ? "—"
                                                : String.format(
                                                        java.util.Locale.ROOT,
                                                        "%.1f s",
                                                        f.medianTimeOnCard().toMillis() / 1000.0),
                                        f.votes() == 0 ? "—" : Math.round(f.approveRate() * 100) + "%",
                                        f.rubberStamping()
                                                ? html("<span class=\"tag warn\">possible rubber-stamping</span>")
                                                : html("<span class=\"muted\">—</span>"))),
                        when(signals.isEmpty(), html("<p class=\"empty\">No votes yet.</p>"))));
    }

    /**
     * @param viewer the reviewer, or null when not signed in
     * @param title what went wrong
     * @param detail in words
     * @return an error page with a way back
     */
    public static Safe error(final Viewer viewer, final String title, final String detail) {
        return page(title, viewer, html("""
                        <main class="message">
                          <h1>{}</h1>
                          <p>{}</p>
                          <p><a href="/ui">Back to the inbox</a></p>
                        </main>""", title, detail));
    }

    private static Safe page(final String title, final Viewer viewer, final Safe main) {
        return html(
                """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>{} · hitl approvals</title>
                <link rel="stylesheet" href="/ui/static/app.css">
                <script src="/ui/static/app.js" defer></script>
                </head>
                <body>
                <header class="bar">
                  <a class="brand" href="/ui">hitl · approvals</a>
                  {}
                </header>
                {}
                </body>
                </html>
                """,
                title,
                viewer == null
                        ? Html.empty()
                        : html("""
                                <span class="who">{} <span class="muted">({})</span></span>
                                <form method="post" action="/ui/logout" class="signout">
                                  <input type="hidden" name="_csrf" value="{}">
                                  <button type="submit" id="sign-out">Sign out</button>
                                </form>""", viewer.displayName(), String.join(", ", viewer.groups()), viewer.csrf()),
                main);
    }

    private static Safe text(final String value, final String tag) {
        if (value == null || value.isBlank()) {
            return html("<p class=\"muted\">Not given.</p>");
        }
        return "blockquote".equals(tag) ? html("<blockquote>{}</blockquote>", value) : html("<p>{}</p>", value);
    }

    private static Safe list(final List<String> values, final String tag) {
        if (values == null || values.isEmpty()) {
            return html("<p class=\"muted\">None given.</p>");
        }
        final Safe items = each(values, v -> html("<li>{}</li>", v));
        return "ol".equals(tag) ? html("<ol>{}</ol>", items) : html("<ul>{}</ul>", items);
    }

    private static Safe orNone(final String value) {
        return value == null || value.isBlank() ? html("<span class=\"muted\">—</span>") : html("{}", value);
    }

    private static boolean lowTrust(final String trust) {
        return !"USER".equals(trust) && !"INTERNAL".equals(trust);
    }

    /**
     * @param riskClass a risk class
     * @return its CSS class (colour)
     */
    static String riskCss(final String riskClass) {
        return switch (riskClass == null ? "" : riskClass) {
            case "READ_ONLY" -> "risk-low";
            case "REVERSIBLE_WRITE" -> "risk-medium";
            default -> "risk-high";
        };
    }

    /**
     * @param riskClass a risk class
     * @return it in words
     */
    static String riskLabel(final String riskClass) {
        return switch (riskClass == null ? "" : riskClass) {
            case "READ_ONLY" -> "read-only";
            case "REVERSIBLE_WRITE" -> "reversible write";
            case "IRREVERSIBLE" -> "irreversible";
            default -> riskClass == null ? "unknown" : riskClass.toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * @param deadline an ISO-8601 instant
     * @param now the time
     * @return the time left, in words ({@code app.js} keeps it counting)
     */
    static String remaining(final String deadline, final Instant now) {
        final Instant at;
        try {
            at = Instant.parse(deadline);
        } catch (DateTimeParseException | NullPointerException e) {
            return "";
        }
        final Duration left = Duration.between(now, at);
        if (left.isNegative() || left.isZero()) {
            return "overdue";
        }
        final long s = left.getSeconds();
        if (s >= 3600) {
            return String.format(java.util.Locale.ROOT, "%dh %02dm left", s / 3600, (s % 3600) / 60);
        }
        return String.format(java.util.Locale.ROOT, "%d:%02d left", s / 60, s % 60);
    }
}
