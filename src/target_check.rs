//! Input checks of targeted message faults (`Target` entries of `faults`) against what the
//! model names: its message labels, the requests a `Fail` can answer, its error codes and its
//! predicates. Node names and numbers are checked by the kernel's `FaultSpec::resolve`.

use msgsim_models::MessageTargets;
use msgsim_sim::{FaultSpec, TargetAction};

/// `Err((field path below the fault, message))` for the first name the model does not know.
pub fn check(fault: &FaultSpec, model: &MessageTargets) -> Result<(), (Vec<&'static str>, String)> {
    let FaultSpec::Target {
        label,
        predicate,
        action,
        ..
    } = fault
    else {
        return Ok(());
    };
    if let (Some(label), Some(labels)) = (label, model.labels)
        && !labels.contains(&label.as_str())
    {
        return Err((
            vec!["label"],
            format!(
                "unknown message label `{label}` (labels: {})",
                labels.join(", ")
            ),
        ));
    }
    if let Some(p) = predicate
        && !model.predicates.contains(&p.as_str())
    {
        return Err((
            vec!["predicate"],
            format!(
                "unknown predicate `{p}` (predicates: {})",
                list(model.predicates)
            ),
        ));
    }
    if let TargetAction::Fail { code } = action {
        if !model.errors.contains(&code.as_str()) {
            return Err((
                vec!["action", "code"],
                format!(
                    "unknown error code `{code}` (codes: {})",
                    list(model.errors)
                ),
            ));
        }
        if let Some(label) = label
            && !model.failable.contains(&label.as_str())
        {
            return Err((
                vec!["label"],
                format!(
                    "a `{label}` cannot be failed (requests that can: {})",
                    list(model.failable)
                ),
            ));
        }
    }
    Ok(())
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none in this model".to_string()
    } else {
        names.join(", ")
    }
}
