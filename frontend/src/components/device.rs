//! A browser's `User-Agent` in words a person recognises: "Chrome 131 on Linux".

/// The browser (or client) and system a `User-Agent` names, as well as can be told.
pub fn describe(user_agent: &str) -> String {
    if user_agent.is_empty() {
        return "Unknown client".to_owned();
    }
    // Order matters: Edge and Opera also say Chrome, and Chrome also says Safari.
    let browsers = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
        ("curl/", "curl"),
        ("python-httpx/", "Python (httpx)"),
        ("python-requests/", "Python (requests)"),
        ("node", "Node.js"),
    ];
    let browser = browsers.iter().find_map(|(marker, name)| {
        let at = user_agent.find(marker)?;
        let version = user_agent[at + marker.len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .filter(|major| !major.is_empty());
        Some(match version {
            Some(major) => format!("{name} {major}"),
            None => (*name).to_owned(),
        })
    });
    let systems = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let system = systems
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser,
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => user_agent.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn names_common_browsers_and_systems() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(describe(chrome), "Chrome 131 on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";
        assert_eq!(describe(edge), "Edge 131 on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(safari), "Safari 17 on iPhone");
        assert_eq!(describe("curl/8.5.0"), "curl 8");
        assert_eq!(describe(""), "Unknown client");
    }
}
