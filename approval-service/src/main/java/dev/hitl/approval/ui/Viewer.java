package dev.hitl.approval.ui;

import java.util.List;

/**
 * Who is looking at a page.
 *
 * @param name the user name
 * @param displayName the name to show
 * @param groups the reviewer's groups
 * @param csrf the session's CSRF token (every form of the page carries it)
 */
public record Viewer(String name, String displayName, List<String> groups, String csrf) {}
