//! The MIME type of an artifact uploaded as is, from its file name's extension: the
//! table of `@actions/artifact` (`upload/types.ts`), so that GitHub serves the file as
//! the official client's upload of it would be served (`text/html` opens in the browser).

/// Extensions (lowercase, with the dot) and their types, as the official client has them.
const TYPES: &[(&str, &str)] = &[
    (".txt", "text/plain"),
    (".html", "text/html"),
    (".htm", "text/html"),
    (".css", "text/css"),
    (".csv", "text/csv"),
    (".xml", "text/xml"),
    (".md", "text/markdown"),
    (".js", "application/javascript"),
    (".mjs", "application/javascript"),
    (".json", "application/json"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".gif", "image/gif"),
    (".svg", "image/svg+xml"),
    (".webp", "image/webp"),
    (".ico", "image/x-icon"),
    (".bmp", "image/bmp"),
    (".tiff", "image/tiff"),
    (".tif", "image/tiff"),
    (".mp3", "audio/mpeg"),
    (".wav", "audio/wav"),
    (".ogg", "audio/ogg"),
    (".flac", "audio/flac"),
    (".mp4", "video/mp4"),
    (".webm", "video/webm"),
    (".avi", "video/x-msvideo"),
    (".mov", "video/quicktime"),
    (".pdf", "application/pdf"),
    (".doc", "application/msword"),
    (
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (".xls", "application/vnd.ms-excel"),
    (
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (".ppt", "application/vnd.ms-powerpoint"),
    (
        ".pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (".zip", "application/zip"),
    (".tar", "application/x-tar"),
    (".gz", "application/gzip"),
    (".rar", "application/vnd.rar"),
    (".7z", "application/x-7z-compressed"),
    (".wasm", "application/wasm"),
    (".yaml", "application/x-yaml"),
    (".yml", "application/x-yaml"),
    (".woff", "font/woff"),
    (".woff2", "font/woff2"),
    (".ttf", "font/ttf"),
    (".otf", "font/otf"),
    (".eot", "application/vnd.ms-fontobject"),
];

/// The type of a zip artifact.
pub(crate) const ZIP: &str = "application/zip";

/// The MIME type for `file_name` (`application/octet-stream` when the extension is
/// unknown or missing), as Node's `path.extname` finds the extension: from the last
/// dot, unless the name starts with it.
pub(crate) fn of(file_name: &str) -> &'static str {
    let extension = match file_name.rfind('.') {
        Some(at) if at > 0 => file_name[at..].to_ascii_lowercase(),
        _ => String::new(),
    };
    TYPES
        .iter()
        .find(|(known, _)| *known == extension)
        .map_or("application/octet-stream", |(_, mime)| mime)
}

#[cfg(test)]
mod tests {
    #[test]
    fn types_follow_the_extension_as_node_finds_it() {
        assert_eq!(super::of("trace-data.json"), "application/json");
        assert_eq!(super::of("traces.HTML"), "text/html");
        assert_eq!(super::of("trace-data.jsonl"), "application/octet-stream");
        assert_eq!(super::of(".json"), "application/octet-stream");
        assert_eq!(super::of("trace-data"), "application/octet-stream");
    }
}
