//! Toolsets and the selection of offered tools (`docs/conventions.md`, "Toolsets").
//!
//! Every tool belongs to exactly one [`Toolset`]. What an instance offers is its
//! [`Selection`]: the selected toolsets, individual tools in addition, and which write
//! tools are enabled. The selection is read from the component's environment
//! ([`crate::config::vars`]), so every host that runs the component offers the same
//! tools for the same settings.

use crate::catalog::{self, Tool};

/// A group of tools a host offers or not, in the contract's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Toolset {
    /// Incidents, their notes, alerts, timeline, past/related incidents; incident writes.
    Incidents,
    /// On-calls, schedules, schedule users and overrides, escalation policies.
    Oncall,
    /// Services, business services, dependencies, change events, maintenance windows.
    Services,
    /// The current user, users, notification rules, teams, team members.
    People,
    /// Incident and responder metrics.
    Analytics,
    /// Status pages and their posts.
    StatusPages,
    /// Event orchestrations, incident workflows, alert grouping, webhooks, extensions.
    Automation,
    /// Writes that change the account's configuration.
    Admin,
    /// PagerDuty's v3 (flexible) schedules.
    SchedulesV3,
}

impl Toolset {
    /// Every toolset, in the contract's order (the order of the tool list).
    pub const ALL: [Toolset; 9] = [
        Toolset::Incidents,
        Toolset::Oncall,
        Toolset::Services,
        Toolset::People,
        Toolset::Analytics,
        Toolset::StatusPages,
        Toolset::Automation,
        Toolset::Admin,
        Toolset::SchedulesV3,
    ];

    /// The name used in `--toolsets` and `PAGERDUTY_TOOLSETS`.
    pub fn name(self) -> &'static str {
        match self {
            Toolset::Incidents => "incidents",
            Toolset::Oncall => "oncall",
            Toolset::Services => "services",
            Toolset::People => "people",
            Toolset::Analytics => "analytics",
            Toolset::StatusPages => "status_pages",
            Toolset::Automation => "automation",
            Toolset::Admin => "admin",
            Toolset::SchedulesV3 => "schedules_v3",
        }
    }

    /// What the toolset holds, for people and models.
    pub fn description(self) -> &'static str {
        match self {
            Toolset::Incidents => {
                "Incidents, their notes, alerts, log entries (timeline), change events, past/related/outlier \
                 incidents, priorities, account log entries; incident writes"
            }
            Toolset::Oncall => {
                "On-calls, schedules, schedule users and overrides, escalation policies, the on-call handoff"
            }
            Toolset::Services => {
                "Services, business services, service dependencies, change events, maintenance windows"
            }
            Toolset::People => {
                "The current user, users, their notification rules, teams, team members"
            }
            Toolset::Analytics => "Incident and responder metrics",
            Toolset::StatusPages => {
                "Status pages, their severities, impacts, statuses, posts and post updates"
            }
            Toolset::Automation => {
                "Event orchestrations, incident workflows, alert grouping settings, webhook subscriptions, \
                 extension schemas"
            }
            Toolset::Admin => {
                "Writes that change the account's configuration: teams, users, escalation policies, services, \
                 schedules"
            }
            Toolset::SchedulesV3 => {
                "PagerDuty's v3 (flexible) schedules: rotations, rotation events, custom shifts, overrides"
            }
        }
    }

    /// Whether the toolset is offered when no selection is given.
    pub fn on_by_default(self) -> bool {
        matches!(
            self,
            Toolset::Incidents | Toolset::Oncall | Toolset::Services | Toolset::People
        )
    }

    /// The toolset called `name`.
    pub fn named(name: &str) -> Option<Toolset> {
        Toolset::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Which write tools are enabled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Writes {
    /// None (the default).
    #[default]
    None,
    /// Every write tool among the offered tools.
    All,
    /// Exactly these write tools, offered even when their toolset is not selected.
    Only(Vec<&'static str>),
}

/// What an instance offers: toolsets, extra tools, writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The selected toolsets, in [`Toolset::ALL`] order.
    pub toolsets: Vec<Toolset>,
    /// Tools offered in addition to the toolsets (catalog names).
    pub tools: Vec<&'static str>,
    /// The enabled write tools.
    pub writes: Writes,
}

impl Default for Selection {
    /// The default toolsets, no extra tools, no writes.
    fn default() -> Self {
        Selection {
            toolsets: Toolset::ALL
                .into_iter()
                .filter(|t| t.on_by_default())
                .collect(),
            tools: Vec::new(),
            writes: Writes::None,
        }
    }
}

/// Why a selection cannot be used: unknown names, or a write tool asked for without
/// enabling it. The message names the setting and lists the valid values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionError(pub String);

impl std::fmt::Display for SelectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SelectionError {}

/// The comma-separated items of a setting, trimmed, blanks dropped.
fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl Selection {
    /// Parses the three settings (each as its environment variable holds it; `None`
    /// or blank means unset):
    /// - `toolsets`: names from [`Toolset::ALL`], or `all`; default: the default toolsets;
    /// - `tools`: tool names offered in addition;
    /// - `writes`: `true`/`1`/`yes` (every offered write tool), `false`/`0`/`no`
    ///   (none), or a list of write tool names (exactly those).
    pub fn parse(
        toolsets: Option<&str>,
        tools: Option<&str>,
        writes: Option<&str>,
    ) -> Result<Selection, SelectionError> {
        let mut selection = Selection::default();
        if let Some(value) = toolsets.filter(|v| !v.trim().is_empty()) {
            let mut chosen = Vec::new();
            for name in items(value) {
                if name.eq_ignore_ascii_case("all") {
                    chosen.extend(Toolset::ALL);
                    continue;
                }
                let toolset = Toolset::named(&name.to_ascii_lowercase()).ok_or_else(|| {
                    SelectionError(format!(
                        "unknown toolset '{name}' in {}; valid toolsets: all, {}",
                        crate::config::vars::TOOLSETS,
                        Toolset::ALL.map(Toolset::name).join(", ")
                    ))
                })?;
                chosen.push(toolset);
            }
            chosen.sort();
            chosen.dedup();
            selection.toolsets = chosen;
        }
        let writes_value = writes.map(str::trim).unwrap_or_default();
        selection.writes = match writes_value.to_ascii_lowercase().as_str() {
            "" | "false" | "0" | "no" => Writes::None,
            "true" | "1" | "yes" => Writes::All,
            _ => Writes::Only(tool_names(
                writes_value,
                crate::config::vars::ENABLE_WRITE_TOOLS,
                true,
            )?),
        };
        if let Some(value) = tools {
            selection.tools = tool_names(value, crate::config::vars::TOOLS, false)?;
            if let Some(write) = selection
                .tools
                .iter()
                .copied()
                .find(|name| !selection.write_enabled(name) && is_write(name))
            {
                return Err(SelectionError(format!(
                    "'{write}' in {} is a write tool, and write tools are not enabled; enable it with \
                     {}={write} (or true for every write tool)",
                    crate::config::vars::TOOLS,
                    crate::config::vars::ENABLE_WRITE_TOOLS
                )));
            }
        }
        Ok(selection)
    }

    /// Whether write tool `name` may be offered.
    fn write_enabled(&self, name: &str) -> bool {
        match &self.writes {
            Writes::None => false,
            Writes::All => true,
            Writes::Only(names) => names.contains(&name),
        }
    }

    /// Whether `tool` is offered.
    pub fn offers(&self, tool: &Tool) -> bool {
        if tool.is_write() {
            match &self.writes {
                Writes::None => false,
                Writes::All => {
                    self.toolsets.contains(&tool.toolset) || self.tools.contains(&tool.name)
                }
                Writes::Only(names) => names.contains(&tool.name),
            }
        } else {
            self.toolsets.contains(&tool.toolset) || self.tools.contains(&tool.name)
        }
    }

    /// Whether the toolset is selected.
    pub fn selects(&self, toolset: Toolset) -> bool {
        self.toolsets.contains(&toolset)
    }
}

fn is_write(name: &str) -> bool {
    catalog::find(name).is_some_and(Tool::is_write)
}

/// The catalog names in a comma-separated `value` of `setting`; unknown names are an
/// error listing the valid ones (only the write tools when `writes_only`).
fn tool_names(
    value: &str,
    setting: &str,
    writes_only: bool,
) -> Result<Vec<&'static str>, SelectionError> {
    let mut names: Vec<&'static str> = Vec::new();
    for name in items(value) {
        let tool = catalog::find(name).filter(|t| !writes_only || t.is_write());
        let Some(tool) = tool else {
            let valid: Vec<&str> = catalog::all_tools()
                .filter(|t| !writes_only || t.is_write())
                .map(|t| t.name)
                .collect();
            let what = if writes_only { "write tool" } else { "tool" };
            let extra = if writes_only { "true, false, or " } else { "" };
            return Err(SelectionError(format!(
                "unknown {what} '{name}' in {setting}; valid values: {extra}{}",
                valid.join(", ")
            )));
        };
        if !names.contains(&tool.name) {
            names.push(tool.name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(selection: &Selection) -> Vec<&'static str> {
        catalog::offered_tools(selection)
            .iter()
            .map(|t| t.name)
            .collect()
    }

    #[test]
    fn default_is_the_four_default_toolsets_without_writes() {
        let s = Selection::parse(None, None, None).unwrap();
        assert_eq!(
            s.toolsets,
            [
                Toolset::Incidents,
                Toolset::Oncall,
                Toolset::Services,
                Toolset::People
            ]
        );
        let names = offered(&s);
        assert_eq!(names.len(), 39);
        assert!(!names.contains(&"acknowledge_incident"));
        // Toolset order of the contract, then catalog order.
        assert_eq!(names[0], "list_incidents");
        assert_eq!(names.last(), Some(&"list_team_members"));
    }

    #[test]
    fn toolsets_narrow_the_list_and_tools_add_to_it() {
        let s = Selection::parse(Some("people"), Some("get_incident"), None).unwrap();
        let names = offered(&s);
        assert_eq!(names[0], "get_incident", "incidents come first");
        assert!(names.contains(&"get_current_user"));
        assert!(!names.contains(&"list_incidents"));
        assert_eq!(names.len(), 8);
    }

    #[test]
    fn all_and_case_and_spaces_and_duplicates() {
        let s = Selection::parse(Some(" ALL , people"), None, Some("TRUE")).unwrap();
        assert_eq!(s.toolsets, Toolset::ALL);
        assert_eq!(offered(&s).len(), crate::catalog::all_tools().count());
        assert_eq!(offered(&s).len(), 52);
    }

    #[test]
    fn writes_true_enables_the_writes_of_the_offered_tools_only() {
        let s = Selection::parse(Some("people"), None, Some("true")).unwrap();
        assert!(!offered(&s).contains(&"resolve_incident"));
        let s = Selection::parse(None, None, Some("yes")).unwrap();
        let names = offered(&s);
        assert!(names.contains(&"resolve_incident") && names.contains(&"add_incident_note"));
    }

    #[test]
    fn a_write_list_enables_exactly_those_even_outside_the_toolsets() {
        let s = Selection::parse(Some("people"), None, Some("resolve_incident")).unwrap();
        let names = offered(&s);
        assert!(names.contains(&"resolve_incident"));
        assert!(!names.contains(&"acknowledge_incident"));
        assert!(!names.contains(&"list_incidents"));
        let s =
            Selection::parse(None, None, Some("add_incident_note, acknowledge_incident")).unwrap();
        let writes: Vec<_> = offered(&s)
            .into_iter()
            .filter(|n| catalog::find(n).unwrap().is_write())
            .collect();
        assert_eq!(writes, ["acknowledge_incident", "add_incident_note"]);
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_valid_ones() {
        let e = Selection::parse(Some("incidents,pager"), None, None).unwrap_err();
        assert!(
            e.0.contains("'pager'") && e.0.contains("schedules_v3"),
            "{e}"
        );
        assert!(e.0.contains("PAGERDUTY_TOOLSETS"), "{e}");
        let e = Selection::parse(None, Some("get_incidnt"), None).unwrap_err();
        assert!(
            e.0.contains("'get_incidnt'") && e.0.contains("get_incident"),
            "{e}"
        );
        let e = Selection::parse(None, None, Some("get_incident")).unwrap_err();
        assert!(
            e.0.contains("write tool 'get_incident'") && e.0.contains("resolve_incident"),
            "{e}"
        );
        assert!(
            !e.0.contains("list_users"),
            "only write tools are listed: {e}"
        );
    }

    #[test]
    fn a_write_tool_in_tools_needs_writes_enabled() {
        let e = Selection::parse(None, Some("resolve_incident"), None).unwrap_err();
        assert!(
            e.0.contains("PAGERDUTY_ENABLE_WRITE_TOOLS=resolve_incident"),
            "{e}"
        );
        let s = Selection::parse(Some("people"), Some("resolve_incident"), Some("true")).unwrap();
        assert!(offered(&s).contains(&"resolve_incident"));
    }

    #[test]
    fn every_toolset_name_round_trips() {
        for t in Toolset::ALL {
            assert_eq!(Toolset::named(t.name()), Some(t));
            assert!(t.description().len() > 20);
        }
    }
}
