//! Common cron patterns in words ("every Monday at 08:00"); anything less
//! common gets no description, and the expression speaks for itself.

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A description of `expression`, or `None` when it is not a common shape.
pub fn describe(expression: &str) -> Option<String> {
    let expanded = match expression.trim().to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *".to_owned(),
        "@monthly" => "0 0 1 * *".to_owned(),
        "@weekly" => "0 0 * * 0".to_owned(),
        "@daily" | "@midnight" => "0 0 * * *".to_owned(),
        "@hourly" => "0 * * * *".to_owned(),
        other => other.to_owned(),
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    let (second, rest) = match fields.len() {
        5 => (0, &fields[..]),
        6 => (number(fields[0], 59)?, &fields[1..]),
        _ => return None,
    };
    let [minute, hour, dom, month, dow] = rest else {
        return None;
    };
    if !is_any(month) {
        return None;
    }
    if is_any(dom) && is_any(dow) && second == 0 {
        if let Some(text) = interval(minute, hour) {
            return Some(text);
        }
    }
    let times = times(hour, number(minute, 59)?, second)?;
    let days = match (is_any(dom), is_any(dow)) {
        (true, true) => "every day".to_owned(),
        (true, false) => format!("every {}", weekdays(dow)?),
        (false, true) => format!("on the {} of every month", ordinal(number(dom, 31)?)),
        (false, false) => return None,
    };
    Some(format!("{days} at {times}"))
}

fn is_any(field: &str) -> bool {
    field == "*" || field == "?"
}

fn number(field: &str, max: u32) -> Option<u32> {
    field.parse().ok().filter(|n| *n <= max)
}

/// `*/15 * * * *`, `0 * * * *`, `5 * * * *`, `0 */2 * * *`.
fn interval(minute: &str, hour: &str) -> Option<String> {
    if is_any(hour) {
        if is_any(minute) {
            return Some("every minute".to_owned());
        }
        if let Some(step) = minute.strip_prefix("*/").and_then(|s| number(s, 59)) {
            return Some(format!("every {step} minutes"));
        }
        return match number(minute, 59)? {
            0 => Some("every hour, on the hour".to_owned()),
            m => Some(format!("every hour at {m} past")),
        };
    }
    let step = hour.strip_prefix("*/").and_then(|s| number(s, 23))?;
    match number(minute, 59)? {
        0 => Some(format!("every {step} hours, on the hour")),
        m => Some(format!("every {step} hours at {m} past")),
    }
}

/// `08:00`, or `08:00 and 17:00` for a list of hours.
fn times(hour: &str, minute: u32, second: u32) -> Option<String> {
    let hours = hour
        .split(',')
        .map(|h| number(h, 23))
        .collect::<Option<Vec<u32>>>()?;
    let list: Vec<String> = hours
        .iter()
        .map(|h| {
            if second == 0 {
                format!("{h:02}:{minute:02}")
            } else {
                format!("{h:02}:{minute:02}:{second:02}")
            }
        })
        .collect();
    Some(join(&list))
}

/// `Monday`, `Monday to Friday`, `Monday, Wednesday and Friday`.
fn weekdays(field: &str) -> Option<String> {
    if let Some((from, to)) = field.split_once('-') {
        return Some(format!("{} to {}", day(from)?, day(to)?));
    }
    let days = field
        .split(',')
        .map(|d| day(d).map(str::to_owned))
        .collect::<Option<Vec<String>>>()?;
    Some(join(&days))
}

fn day(text: &str) -> Option<&'static str> {
    let n = match text {
        "sun" => 0,
        "mon" => 1,
        "tue" => 2,
        "wed" => 3,
        "thu" => 4,
        "fri" => 5,
        "sat" => 6,
        other => number(other, 7)? as usize % 7,
    };
    DAYS.get(n).copied()
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn join(items: &[String]) -> String {
    crate::templates::strings::join_words(items, "and")
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_patterns_in_words() {
        let cases = [
            ("0 8 * * MON", "every Monday at 08:00"),
            ("0 8 * * 1", "every Monday at 08:00"),
            ("30 6 * * *", "every day at 06:30"),
            ("0 8 * * mon-fri", "every Monday to Friday at 08:00"),
            (
                "0 8 * * 1,3,5",
                "every Monday, Wednesday and Friday at 08:00",
            ),
            ("0 8,17 * * *", "every day at 08:00 and 17:00"),
            ("0 7 1 * *", "on the 1st of every month at 07:00"),
            ("0 7 22 * *", "on the 22nd of every month at 07:00"),
            ("0 7 13 * *", "on the 13th of every month at 07:00"),
            ("0 0 8 * * SUN", "every Sunday at 08:00"),
            ("30 0 8 * * 7", "every Sunday at 08:00:30"),
            ("*/15 * * * *", "every 15 minutes"),
            ("0 * * * *", "every hour, on the hour"),
            ("5 * * * *", "every hour at 5 past"),
            ("0 */6 * * *", "every 6 hours, on the hour"),
            ("@weekly", "every Sunday at 00:00"),
            ("@daily", "every day at 00:00"),
        ];
        for (expr, want) in cases {
            assert_eq!(describe(expr).as_deref(), Some(want), "{expr}");
        }
    }

    #[test]
    fn unusual_patterns_are_not_described() {
        for expr in [
            "0 8 1-7 * MON",
            "0 8 * 6 *",
            "0 8 L * *",
            "0 8 * * MON#1",
            "0-30 8 * * *",
            "*/10 0 8 * * *",
            "nonsense",
        ] {
            assert_eq!(describe(expr), None, "{expr}");
        }
    }
}
