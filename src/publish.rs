//! An output folder as one unit: it holds the files of one run, or it is
//! recognisably incomplete.
//!
//! A run writes everything (CSV files, `run.json`, the scenario copy, charts,
//! `report.html`, `paths*.csv`) into a temporary sibling of its folder,
//! `DIR/.<id>.tmp-<key>-<pid>-<nonce>`, that belongs to this process: `<key>`
//! ([`owner_key`]) says where the process runs (host and PID namespace), since
//! `DIR` may be shared by machines and containers whose pids mean nothing here.
//! The last file written is [`MANIFEST_FILE`]: every other file's name, size and
//! SHA-256. Then [`Staging::publish`] swaps the folder in: the old `DIR/<id>` is
//! renamed to `DIR/.<id>.old-<key>-<pid>-<nonce>`, the temporary folder to
//! `DIR/<id>`, and the old one is removed. Between the two renames (two system
//! calls) `DIR/<id>` does not exist; a crash there leaves both hidden folders,
//! recognisable by their names, and a later run where the owner ran removes them
//! ([`remove_stale`]).
//!
//! [`verify`] checks a folder against its manifest: a folder without one is
//! incomplete (a run from before the manifest, or one that stopped before the
//! end), and a missing, extra, resized or changed file is named.
//!
//! A set's folder `DIR/set/` is not published whole: its files are written in
//! place, each through a temporary file beside it
//! (`.enclave-<key>-<pid>-<random>.tmp`, [`temp_file_prefix`]), and its
//! manifest lists only the set's own files ([`write_manifest_of`],
//! [`verify_data_of`]), since the folder may hold files of the user's. The
//! temporary files a dead process left there are removed by the rule of its
//! folders ([`remove_stale_files`]).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::output::{RUN_FILE, write_atomic};

/// The manifest's file name, in the output folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Files a run writes from its statistics; `enclave report` redraws the others
/// (charts, `report.html` and `summary.xlsx`) and keeps these.
fn is_redrawn(name: &str) -> bool {
    name == crate::report::REPORT_FILE
        || name == crate::xlsx::XLSX_FILE
        || name.starts_with("charts/")
}

/// Why a folder could not be published or verified.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file or folder could not be read, written or renamed.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done (`create`, `read`, `rename`, ...).
        action: &'static str,
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The folder has no manifest: the run that wrote it did not finish.
    #[error(
        "no {MANIFEST_FILE}, so the folder is incomplete (the run that wrote it was interrupted or failed, or is older than manifests); run it again"
    )]
    NoManifest,
    /// The manifest could not be written.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// The manifest does not parse.
    #[error("{MANIFEST_FILE} is not a manifest of this version of enclave")]
    Manifest(#[source] serde_json::Error),
    /// A file differs from what the manifest records.
    #[error("{file} {problem}")]
    Damaged {
        /// The file, relative to the folder.
        file: String,
        /// How it differs.
        problem: String,
    },
    /// Another live enclave process, started earlier, is writing the same
    /// results folder: the one of them to finish last would replace the other's
    /// results without a word.
    #[error(
        "another enclave process (pid {pid}) is writing {path}; wait for it to finish, or choose another --out"
    )]
    Busy {
        /// The results folder's place, `DIR/<id>`.
        path: String,
        /// The other process.
        pid: u32,
    },
    /// Something enclave did not write is where the results folder goes, and
    /// publishing would delete it.
    #[error("{}", occupied_message(path, *what, files))]
    Occupied {
        /// The results folder's place, `DIR/<id>`.
        path: String,
        /// What is there.
        what: Occupant,
        /// Under [`Occupant::Others`], the files enclave did not write.
        files: Vec<String>,
    },
}

/// Files named in a message: the first few, and how many more.
const FILES_NAMED: usize = 5;

/// [`PublishError::Occupied`]'s message.
fn occupied_message(path: &str, what: Occupant, files: &[String]) -> String {
    if what != Occupant::Others {
        return format!(
            "{path} is {what}, and the results would replace it; move it, or choose another --out"
        );
    }
    let mut named = files
        .iter()
        .take(FILES_NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > FILES_NAMED {
        named.push_str(&format!(" and {} more", files.len() - FILES_NAMED));
    }
    format!(
        "{path} is {what} ({named}), and the results would replace the folder and them; move them out of it, or choose another --out"
    )
}

/// What is at the place of a results folder that a run may not replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupant {
    /// A file (or anything else that is not a folder).
    File,
    /// A symbolic link to nothing.
    BrokenLink,
    /// A folder with files but neither a manifest nor a run record: not one
    /// enclave wrote.
    Foreign,
    /// A folder of enclave's that also holds files its manifest does not list
    /// and a run does not write: someone's notes or scripts.
    Others,
}

impl std::fmt::Display for Occupant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Occupant::File => "a file",
            Occupant::BrokenLink => "a symbolic link to nothing",
            Occupant::Foreign => {
                "a folder that enclave did not write (it holds no manifest.json or run.json)"
            }
            Occupant::Others => {
                "a folder of enclave's results that also holds files it did not write"
            }
        })
    }
}

/// What stands at `target`, if a run's folder may not take its place: a
/// results folder replaces only nothing, an empty folder, or a folder enclave
/// wrote (it has [`MANIFEST_FILE`], or `run.json` as runs from before
/// manifests have). Anything else is the user's, and the swap in
/// [`Staging::publish`] would delete it.
pub fn occupant(target: &Path) -> Option<Occupant> {
    place(target).map(|(what, _)| what)
}

/// [`occupant`], with the files enclave did not write under [`Occupant::Others`]
/// (none otherwise), the folder listed once.
fn place(target: &Path) -> Option<(Occupant, Vec<String>)> {
    let Ok(link) = std::fs::symlink_metadata(target) else {
        return None;
    };
    // Followed: a link to a results folder is replaced as the folder would be
    // (the link, not what it points to, is removed).
    let meta = match std::fs::metadata(target) {
        Ok(m) => m,
        Err(_) if link.file_type().is_symlink() => return Some((Occupant::BrokenLink, Vec::new())),
        Err(_) => return Some((Occupant::File, Vec::new())),
    };
    if !meta.is_dir() {
        return Some((Occupant::File, Vec::new()));
    }
    let empty = std::fs::read_dir(target).is_ok_and(|mut e| e.next().is_none());
    let ours = target.join(MANIFEST_FILE).is_file() || target.join(RUN_FILE).is_file();
    if !(empty || ours) {
        return Some((Occupant::Foreign, Vec::new()));
    }
    let files = others(target);
    (!files.is_empty()).then_some((Occupant::Others, files))
}

/// The files in the folder of enclave's at `target` that its manifest does not
/// list and that no run or redraw writes (a page or workbook drawn after the
/// manifest is a run's; a file under `charts/` it does not list is not): a
/// user's notes or scripts, which replacing the folder would delete (a rerun
/// once did so without a word: exploratory test). None when the folder has no
/// manifest that reads (a folder from before manifests cannot tell).
fn others(target: &Path) -> Vec<String> {
    let Some(manifest) = std::fs::read_to_string(target.join(MANIFEST_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok())
    else {
        return Vec::new();
    };
    let Ok(files) = list_files(target) else {
        return Vec::new();
    };
    files
        .into_iter()
        .filter(|name| {
            // A page or workbook drawn after the manifest is a run's.
            let redrawn_page = is_redrawn(name) && !name.starts_with("charts/");
            !manifest.contains(name) && !redrawn_page
        })
        .collect()
}

/// [`occupant`] as an error naming `target`.
///
/// # Errors
/// [`PublishError::Occupied`] if something a run may not replace is there.
pub fn check_place(target: &Path) -> Result<(), PublishError> {
    match place(target) {
        None => Ok(()),
        Some((what, files)) => Err(PublishError::Occupied {
            path: target.display().to_string(),
            what,
            files,
        }),
    }
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> PublishError + 'a {
    move |source| PublishError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// One file of a published folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the folder, `/`-separated (`charts/park.svg`).
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

/// The list of a folder's files, written last: a folder with a manifest that
/// matches its files is one complete run. It has no timestamp, so the same run
/// gives the same manifest except for `run.json`'s elapsed time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Every file but the manifest, sorted by name.
    pub files: Vec<ManifestEntry>,
}

/// The files under `dir` (relative, `/`-separated, sorted), without the manifest.
fn list_files(dir: &Path) -> Result<Vec<String>, PublishError> {
    let mut names = BTreeSet::new();
    let mut stack = vec![(dir.to_owned(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&path).map_err(io("read", &path))? {
            let entry = entry.map_err(io("read", &path))?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let kind = entry.file_type().map_err(io("read", &entry.path()))?;
            if kind.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else if name != MANIFEST_FILE {
                names.insert(name);
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// Size and SHA-256 of a file, read in pieces (paths.csv can be large).
fn hash_file(path: &Path) -> Result<(u64, String), PublishError> {
    let mut file = std::fs::File::open(path).map_err(io("read", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    let mut bytes = 0;
    loop {
        let n = file.read(&mut buf).map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((bytes, hex))
}

impl Manifest {
    /// The manifest of the files now in `dir`.
    ///
    /// # Errors
    /// If a file cannot be read.
    pub fn of(dir: &Path) -> Result<Manifest, PublishError> {
        Self::of_names(dir, list_files(dir)?)
    }

    /// The manifest of those of the files `names` (relative to `dir`) that are
    /// now in `dir`, the manifest itself left out; any other file in `dir` is
    /// not listed.
    ///
    /// # Errors
    /// If a file cannot be read.
    pub fn of_files(dir: &Path, names: &[&str]) -> Result<Manifest, PublishError> {
        let present: BTreeSet<String> = names
            .iter()
            .filter(|name| **name != MANIFEST_FILE && dir.join(name).is_file())
            .map(|name| (*name).to_owned())
            .collect();
        Self::of_names(dir, present.into_iter().collect())
    }

    /// The manifest of the files `names` (relative to `dir`, sorted).
    fn of_names(dir: &Path, names: Vec<String>) -> Result<Manifest, PublishError> {
        let files = names
            .into_iter()
            .map(|name| {
                let (bytes, sha256) = hash_file(&dir.join(&name))?;
                Ok(ManifestEntry {
                    name,
                    bytes,
                    sha256,
                })
            })
            .collect::<Result<_, PublishError>>()?;
        Ok(Manifest { files })
    }

    /// Whether the manifest lists `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.files.iter().any(|f| f.name == name)
    }
}

/// Writes the manifest of the files now in `dir` as `dir/manifest.json`.
///
/// # Errors
/// If a file cannot be read or the manifest cannot be written.
pub fn write_manifest(dir: &Path) -> Result<Manifest, PublishError> {
    save(dir, Manifest::of(dir)?)
}

/// Writes the manifest of those of the files `names` that are now in `dir` as
/// `dir/manifest.json` ([`Manifest::of_files`]): for a folder written in place
/// that other files may share, such as a set's `DIR/set/` (a user's notes, the
/// temporary file of a write in progress), which are then not listed.
///
/// # Errors
/// If a file cannot be read or the manifest cannot be written.
pub fn write_manifest_of(dir: &Path, names: &[&str]) -> Result<Manifest, PublishError> {
    save(dir, Manifest::of_files(dir, names)?)
}

/// Writes `manifest` as `dir/manifest.json` and returns it.
fn save(dir: &Path, manifest: Manifest) -> Result<Manifest, PublishError> {
    let json = serde_json::to_string_pretty(&manifest)
        .unwrap_or_else(|_| unreachable!("plain struct serialises"));
    let path = dir.join(MANIFEST_FILE);
    write_atomic(&path, format!("{json}\n").as_bytes())?;
    Ok(manifest)
}

/// The folders directly in `dir` that hold a manifest (each scenario's results,
/// and a set's `set/`), by name; hidden ones (a run's staging folders) and
/// replays ([`crate::replay::REPLAY_RECORD`]) left out.
/// What `enclave report` takes, when it is given the output folder they are in.
pub fn results_inside(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| {
            p.join(MANIFEST_FILE).is_file() && !p.join(crate::replay::REPLAY_RECORD).is_file()
        })
        .collect();
    found.sort();
    found
}

/// Checks `dir` against its manifest: every file listed is there with its size
/// and hash, and no other file is.
///
/// # Errors
/// [`PublishError::NoManifest`] if there is none, [`PublishError::Damaged`]
/// naming the first file that differs.
pub fn verify(dir: &Path) -> Result<Manifest, PublishError> {
    check(dir, false, None)
}

/// As [`verify`], but for the files a run computes: the charts, `report.html`
/// and `summary.xlsx`, which `enclave report` draws again, may be missing. One
/// that is there is checked all the same: `enclave report` replaced a changed
/// `report.html` without a word, and removed a file added under `charts/`
/// (exploratory test).
///
/// # Errors
/// As [`verify`].
pub fn verify_data(dir: &Path) -> Result<Manifest, PublishError> {
    check(dir, true, None)
}

/// As [`verify_data`], for a folder whose manifest lists only the files
/// `names` ([`write_manifest_of`]): a file of `dir` that is not one of them is
/// not the folder's, and is not checked; one of them that is there but not
/// listed is, as an extra file.
///
/// # Errors
/// As [`verify`].
pub fn verify_data_of(dir: &Path, names: &[&str]) -> Result<Manifest, PublishError> {
    check(dir, true, Some(names))
}

/// [`verify`] (`data_only`: [`verify_data`]), counting as the folder's only
/// the files `own` when given.
fn check(dir: &Path, data_only: bool, own: Option<&[&str]>) -> Result<Manifest, PublishError> {
    if !dir.is_dir() {
        return Err(io("read", dir)(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such folder",
        )));
    }
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PublishError::NoManifest);
        }
        Err(e) => return Err(io("read", &path)(e)),
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(PublishError::Manifest)?;
    let may_be_missing = |name: &str| data_only && is_redrawn(name);
    let damaged = |file: &str, problem: String| PublishError::Damaged {
        file: file.to_owned(),
        problem,
    };
    // A set's page is drawn again in place (`enclave report DIR/set`), after
    // its manifest: only a scenario's folder, redrawn whole with a new
    // manifest, holds its drawings to its manifest.
    let whole = own.is_none();
    for f in &manifest.files {
        let file = dir.join(&f.name);
        if may_be_missing(&f.name) && !whole {
            continue;
        }
        if !file.is_file() {
            if may_be_missing(&f.name) {
                continue;
            }
            return Err(damaged(
                &f.name,
                format!("is listed in {MANIFEST_FILE} but missing"),
            ));
        }
        // A drawn file that was changed: said as such, with what to do.
        let changed = |what: String| {
            if may_be_missing(&f.name) {
                format!(
                    "{what}: it was changed after it was written; remove it to have it drawn again"
                )
            } else {
                format!("{what}: the folder is damaged")
            }
        };
        let (bytes, sha256) = hash_file(&file)?;
        if bytes != f.bytes {
            return Err(damaged(
                &f.name,
                changed(format!(
                    "has {bytes} bytes where {MANIFEST_FILE} records {}",
                    f.bytes
                )),
            ));
        }
        if sha256 != f.sha256 {
            return Err(damaged(
                &f.name,
                changed(format!("does not match its SHA-256 in {MANIFEST_FILE}")),
            ));
        }
    }
    let others = |name: &str| own.is_some_and(|own| !own.contains(&name));
    // A page or workbook not listed is one a redraw replaces; a file under
    // charts/ that is not listed is someone's, which a redraw would remove.
    let replaced = |name: &str| may_be_missing(name) && (!whole || !name.starts_with("charts/"));
    for name in list_files(dir)? {
        if !(manifest.contains(&name) || others(&name) || replaced(&name)) {
            return Err(damaged(
                &name,
                format!("is not listed in {MANIFEST_FILE}: it is not part of the run"),
            ));
        }
    }
    Ok(manifest)
}

/// Marks the temporary folders of a process: `.<id>.tmp-<key>-<pid>-<nonce>`.
const TMP: &str = ".tmp-";
/// Marks a replaced folder waiting to be removed: `.<id>.old-<key>-<pid>-<nonce>`.
const OLD: &str = ".old-";
/// Hexadecimal digits in an owner key.
pub const KEY_LEN: usize = 8;

/// Where this process runs, as its hidden folders' names carry it: the first
/// 8 ([`KEY_LEN`]) hexadecimal digits of the SHA-256 of the host name
/// (`/proc/sys/kernel/hostname`, else `$HOSTNAME`), the PID namespace (the
/// target of `/proc/self/ns/pid`, such as `pid:[4026531836]`) and the machine id
/// (`/etc/machine-id`), each what is readable. Two processes with the same key
/// see each other's pids in `/proc`; a process on another node of a cluster, in
/// another container, or under `unshare -p` has another key. The machine id
/// keeps apart nodes that share a host name (`localhost` on cloned machines) and
/// both run in their first PID namespace, whose id is the same on every Linux.
pub fn owner_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        let read = |path: &str| std::fs::read_to_string(path).map(|s| s.trim().to_owned());
        let host = read("/proc/sys/kernel/hostname")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        let namespace = pid_namespace().unwrap_or_default();
        let machine = read("/etc/machine-id")
            .or_else(|_| read("/var/lib/dbus/machine-id"))
            .unwrap_or_default();
        let mut hasher = Sha256::new();
        for part in [host, namespace, machine] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .take(KEY_LEN / 2)
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// This process's PID namespace (`pid:[4026531836]`), if `/proc` shows it.
fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// A fresh hidden sibling of `DIR/<id>` for this process, created (so that the
/// folder is known to be writable) and returned.
fn sibling(out: &Path, id: &str, kind: &str) -> Result<PathBuf, PublishError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let pid = std::process::id();
    let key = owner_key();
    loop {
        // Unique within the process by the counter, across processes by the
        // pid, across machines and PID namespaces by the key.
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = out.join(format!(".{id}{kind}{key}-{pid}-{n}"));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io("create a folder in", out)(e)),
        }
    }
}

/// The temporary folder a run writes into, swapped in place of `DIR/<id>` by
/// [`Staging::publish`]; removed when dropped unpublished (an error or an
/// interruption), so the old folder stays as it was.
#[derive(Debug)]
pub struct Staging {
    temp: PathBuf,
    target: PathBuf,
    published: bool,
}

impl Staging {
    /// Creates the temporary folder for `out/<id>`.
    ///
    /// # Errors
    /// If `out` is not a writable folder.
    ///
    /// [`PublishError::Busy`] if a live process of this host and PID namespace
    /// that started before this one has a temporary folder for the same `out/<id>`
    /// (two runs into one `--out` at once: the later one stops here, before it
    /// simulates anything; two started in the same instant are ordered by pid).
    pub fn create(out: &Path, id: &str) -> Result<Staging, PublishError> {
        let temp = sibling(out, id, TMP)?;
        let staging = Staging {
            temp,
            target: out.join(id),
            published: false,
        };
        // Dropping `staging` removes its folder.
        match earlier_writer(out, id) {
            Some(pid) => Err(PublishError::Busy {
                path: staging.target.display().to_string(),
                pid,
            }),
            None => Ok(staging),
        }
    }

    /// A staging folder for redrawing `dir`: it starts with `dir`'s files except
    /// the charts and the report (hard links where possible, else copies). `dir`
    /// should have been verified.
    ///
    /// # Errors
    /// If the folder cannot be created or a file cannot be linked or copied.
    pub fn redraw(dir: &Path, manifest: &Manifest) -> Result<Staging, PublishError> {
        // Absolute, so that `.` or `..` still name the folder and its parent.
        let target = dir.canonicalize().map_err(io("read", dir))?;
        let id = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "results".into());
        let out = target.parent().unwrap_or(Path::new("/"));
        let mut staging = Staging::create(out, &id)?;
        staging.target = target.clone();
        for f in manifest.files.iter().filter(|f| !is_redrawn(&f.name)) {
            let from = dir.join(&f.name);
            let to = staging.temp.join(&f.name);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io("create", parent))?;
            }
            // Files are never changed in place (each write is a new file renamed
            // over the old), so a link shares nothing that could change.
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).map_err(io("copy", &from))?;
            }
        }
        Ok(staging)
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The folder it will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes the manifest and swaps the folder in place of the target.
    ///
    /// # Errors
    /// [`PublishError::Occupied`] if the target is something a run may not
    /// replace ([`occupant`]; nothing is touched), or if the manifest cannot
    /// be written or a rename fails (the old folder is put back when the second
    /// rename fails).
    pub fn publish(mut self) -> Result<(), PublishError> {
        // Checked here too, not only before the run: the place may have been
        // taken while it ran.
        check_place(&self.target)?;
        write_manifest(&self.temp)?;
        let out = self.target.parent().unwrap_or(Path::new("."));
        let id = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = if self.target.exists() {
            let old = sibling(out, &id, OLD)?;
            // `sibling` made an empty folder to claim the name (the key and pid keep it ours).
            std::fs::remove_dir(&old).map_err(io("rename", &self.target))?;
            std::fs::rename(&self.target, &old).map_err(io("rename", &self.target))?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&self.temp, &self.target) {
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.target);
            }
            return Err(io("rename", &self.temp)(e));
        }
        self.published = true;
        if let Some(old) = old {
            std::fs::remove_dir_all(&old).map_err(io("remove", &old))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            // Best effort: a leftover is removed by a later run where this one
            // ran (`remove_stale`).
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

/// Where the marker of a temporary or replaced folder's name is ([`TMP`] or
/// [`OLD`]), and which: the last counts, as the id before it may hold either.
fn marker(name: &str) -> Option<(usize, &'static str)> {
    [TMP, OLD]
        .into_iter()
        .filter_map(|k| name.rfind(k).map(|i| (i, k)))
        .max_by_key(|&(i, _)| i)
}

/// Who left a temporary or replaced folder, read from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner<'a> {
    /// Where the process ran ([`owner_key`]); `None` in the names of versions
    /// before the key (`.<id>.tmp-<pid>-<nonce>`), which do not say.
    key: Option<&'a str>,
    /// The process id, meaningful only where the key is this process's.
    pid: u32,
}

/// The owner in a temporary or replaced folder's name, if it is one.
fn owner(name: &str) -> Option<Owner<'_>> {
    if !name.starts_with('.') {
        return None;
    }
    let (at, kind) = marker(name)?;
    let rest = &name[at + kind.len()..];
    let parts: Vec<&str> = rest.split('-').collect();
    let (key, pid, nonce) = match parts[..] {
        [key, pid, nonce] => (Some(key), pid, nonce),
        [pid, nonce] => (None, pid, nonce),
        _ => return None,
    };
    if !key.is_none_or(is_key) {
        return None;
    }
    nonce.parse::<u64>().ok()?;
    Some(Owner {
        key,
        pid: pid.parse().ok()?,
    })
}

/// Whether `k` has the form of an [`owner_key`].
fn is_key(k: &str) -> bool {
    k.len() == KEY_LEN
        && k.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Starts the name of the temporary file of an atomic write
/// ([`crate::output::AtomicFile`]).
pub const TEMP_FILE_START: &str = ".enclave-";
/// Ends the name of the temporary file of an atomic write.
pub const TEMP_FILE_END: &str = ".tmp";

/// What this process's temporary files' names start with:
/// `.enclave-<key>-<pid>-`, tempfile's random letters and [`TEMP_FILE_END`]
/// after it. The key and pid say whose a leftover is, as in its folders' names
/// ([`remove_stale_files`]).
pub fn temp_file_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| format!("{TEMP_FILE_START}{}-{}-", owner_key(), std::process::id()))
}

/// Whether `name` is the temporary file of an atomic write, and whose:
/// `Some(Some(owner))` for `.enclave-<key>-<pid>-<random>.tmp`, `Some(None)`
/// for one whose name does not say (`.enclave-<random>.tmp`, as versions before
/// the key named them), `None` for any other name.
fn temp_file_owner(name: &str) -> Option<Option<Owner<'_>>> {
    let rest = name
        .strip_prefix(TEMP_FILE_START)?
        .strip_suffix(TEMP_FILE_END)?;
    let parts: Vec<&str> = rest.split('-').collect();
    Some(match parts[..] {
        [key, pid, random] if is_key(key) && !random.is_empty() => {
            pid.parse().ok().map(|pid| Owner {
                key: Some(key),
                pid,
            })
        }
        _ => None,
    })
}

/// Seconds since the epoch at which process `pid` started, if it is alive
/// (Linux: `/proc`); `Some(None)` when it is alive but its start is unknown.
fn started(pid: u32) -> Option<Option<f64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = start_ticks(&stat)?;
    let boot: Option<f64> = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|t| t.trim().parse().ok())
    });
    // /proc reports times in USER_HZ, which is 100 on Linux.
    Some(ticks.zip(boot).map(|(t, b)| b + t / 100.0))
}

/// The kernel's flag of a process that is exiting (`PF_EXITING`).
const PF_EXITING: u64 = 0x4;

/// From a process's `/proc/<pid>/stat` line: its start in clock ticks after
/// boot (`Some(None)` if unreadable), or `None` when it is exiting or has
/// exited: a zombie (state Z or X, not yet waited for by its parent) or a
/// process with `PF_EXITING` set (killed, tearing down its memory, which takes
/// a while for a large run).
///
/// Fields count from after the command name, which is in parentheses and may
/// hold spaces: the state (field 3) first, the flags (field 9) seventh, the
/// start time (field 22) twentieth.
fn start_ticks(stat: &str) -> Option<Option<f64>> {
    let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    if matches!(fields.first(), Some(&("Z" | "X"))) {
        return None;
    }
    let flags: Option<u64> = fields.get(6).and_then(|f| f.parse().ok());
    if flags.is_some_and(|f| f & PF_EXITING != 0) {
        return None;
    }
    Some(fields.get(19).and_then(|t| t.parse().ok()))
}

/// The pid of a live process of this process's [`owner_key`] with a temporary
/// folder for `out/<id>` that started before this one (at the same instant: a
/// smaller pid), if any. Owners this process cannot check (another key, a
/// version before keys, no `/proc`) are not counted.
fn earlier_writer(out: &Path, id: &str) -> Option<u32> {
    if !can_check() {
        return None;
    }
    let me = std::process::id();
    let key = owner_key();
    let prefix = format!(".{id}{TMP}");
    let mine = started(me).flatten();
    std::fs::read_dir(out).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) || marker(&name).map(|(i, _)| i) != Some(id.len() + 1) {
            return None;
        }
        let o = owner(&name)?;
        // A pid reused after the folder's owner died is not its owner.
        if o.key != Some(key) || o.pid == me || is_gone(o.pid, last_change(&entry.path())) {
            return None;
        }
        let theirs = started(o.pid)?;
        let earlier = match (theirs, mine) {
            (Some(a), Some(b)) => a.total_cmp(&b).then(o.pid.cmp(&me)).is_lt(),
            _ => o.pid < me,
        };
        earlier.then_some(o.pid)
    })
}

/// A folder (a temporary file) whose owner this process cannot check is named
/// by [`remove_stale`] ([`remove_stale_files`]) once nothing in it has changed
/// for this long.
pub const UNCHECKED_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What [`remove_stale`] found in an output folder (or [`remove_stale_files`]
/// in a set's folder).
#[derive(Debug, Default)]
pub struct Leftovers {
    /// Folders (files) of processes that ran where this one runs and are gone:
    /// removed.
    pub removed: Vec<PathBuf>,
    /// Replaced folders of such processes whose replacement never took their
    /// place (the process died between the two renames of a publish): put back
    /// under their names, (leftover, restored as).
    pub restored: Vec<(PathBuf, PathBuf)>,
    /// Folders (files) this process cannot tell from a live run's, unchanged
    /// for at least [`UNCHECKED_AFTER`], with how long: kept. Their owners ran
    /// on another machine or in another PID namespace (a container, a pod), or
    /// were earlier versions of enclave, whose names do not say where they ran.
    pub unchecked: Vec<(PathBuf, Duration)>,
}

/// The latest modification time of `path` and anything under it: a live run
/// writing into its folder keeps it recent.
fn last_change(path: &Path) -> Option<SystemTime> {
    let mut latest = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if let Ok(t) = meta.modified() {
                latest = latest.max(t);
            }
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Some(latest)
}

/// Whether this process can check the pids in names of its own key: it sees
/// `/proc` and its PID namespace (without which it cannot know whose pids it sees).
fn can_check() -> bool {
    Path::new("/proc/self/stat").exists() && pid_namespace().is_some()
}

/// Whether process `pid` (of this process's key) is gone, for what it left
/// last changed at `changed`: its pid is not alive, or the live process with
/// that pid started after then (the pid was reused). A live process whose start
/// is unknown counts as the owner.
fn is_gone(pid: u32, changed: Option<SystemTime>) -> bool {
    match started(pid) {
        None => true,
        Some(None) => false,
        Some(Some(start)) => changed
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .is_some_and(|changed| start > changed.as_secs_f64() + 1.0),
    }
}

/// Removes the temporary and replaced folders in `out` whose process is gone:
/// it ran where this process runs (same [`owner_key`]: host and PID namespace),
/// and its pid is not alive, or the live process with that pid started after
/// the folder was last changed (the pid was reused). Folders of live runs are
/// kept. So is every folder whose owner cannot be checked here: one with another
/// key (its pid means nothing in this `/proc`: `out` may be shared by cluster
/// nodes or containers), one named by a version before keys, and any folder
/// without `/proc`; those unchanged for [`UNCHECKED_AFTER`] are returned for
/// the user to judge.
///
/// # Errors
/// If `out` cannot be listed; folders that cannot be removed are skipped.
pub fn remove_stale(out: &Path) -> Result<Leftovers, PublishError> {
    remove_leftovers(
        out,
        None,
        |name| owner(name).map(Some),
        std::fs::FileType::is_dir,
        last_change,
        remove_or_restore,
    )
}

/// Removes, by the rule of [`remove_stale`], the temporary and replaced
/// folders of the results folder `dir` alone (`.<id>.tmp-…` and `.<id>.old-…`
/// beside it): what `enclave report`, which redraws `dir` through such a
/// folder, leaves when it dies. Those of other folders beside it are left to
/// the commands that write the output folder (`run`, `merge`, ...).
///
/// # Errors
/// If `dir` cannot be resolved or its parent listed.
pub fn remove_stale_of(dir: &Path) -> Result<Leftovers, PublishError> {
    let target = dir.canonicalize().map_err(io("read", dir))?;
    let (Some(out), Some(id)) = (target.parent(), target.file_name()) else {
        return Ok(Leftovers::default());
    };
    remove_leftovers(
        out,
        Some(&id.to_string_lossy()),
        |name| owner(name).map(Some),
        std::fs::FileType::is_dir,
        last_change,
        remove_or_restore,
    )
}

/// Removes the leftover folder `path`, or, when it is a replaced folder
/// (`.<id>.old-…`) with nothing under its old name `<id>`, renames it back: the
/// process that replaced it died between moving it aside and putting its
/// replacement in its place, and it is the only complete copy (a tester's
/// `kill -9` in that window lost the results to the next run's cleanup).
/// Returns the name it was restored as.
fn remove_or_restore(path: &Path) -> std::io::Result<Option<PathBuf>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let replaced = marker(&name)
        .filter(|&(i, k)| k == OLD && i > 1)
        .map(|(i, _)| name[1..i].to_owned());
    if let Some(id) = replaced
        && let Some(parent) = path.parent()
    {
        let target = parent.join(&id);
        if std::fs::symlink_metadata(&target).is_err() {
            std::fs::rename(path, &target)?;
            return Ok(Some(target));
        }
    }
    std::fs::remove_dir_all(path).map(|()| None)
}

/// Removes the temporary files of atomic writes in `dir`
/// (`.enclave-<key>-<pid>-<random>.tmp`, [`temp_file_prefix`]) whose process is
/// gone, by the rule of [`remove_stale`]: the key is this process's and the pid
/// is not alive, or was reused after the file last changed. This is for a
/// folder written in place, file by file, rather than published whole: a set's
/// `DIR/set/`, where a process killed while it wrote (`kill -9`, a node lost)
/// leaves them. Every other temporary file is kept, as [`remove_stale`] keeps
/// folders: one of a live process (another run, merge or `enclave report
/// DIR/set` writing into the same `DIR` at the same time, whose files a removal
/// would make fail when renamed into place; a set's run holds its temporary
/// files open from its first scenario to its last, so a file's age does not
/// tell a live one from a dead one), one of another key (`DIR` shared by the
/// nodes of a cluster or by containers), and one named by a version before
/// keys, which does not say whose it is; those of them unchanged for
/// [`UNCHECKED_AFTER`] are returned for the user to judge. Files of other names
/// (the user's) are left alone.
///
/// # Errors
/// If `dir` cannot be listed (none when it does not exist); files that cannot
/// be removed are skipped.
pub fn remove_stale_files(dir: &Path) -> Result<Leftovers, PublishError> {
    remove_leftovers(
        dir,
        None,
        temp_file_owner,
        std::fs::FileType::is_file,
        |path| path.metadata().and_then(|m| m.modified()).ok(),
        |path| std::fs::remove_file(path).map(|()| None),
    )
}

/// What [`remove_stale`] and [`remove_stale_files`] do with the entries of
/// `dir` of one kind (`is_kind`): `owner_of` says whether an entry's name is of
/// that kind and whose it is (`Some(None)`: its name does not say); one of this
/// process's key whose process is gone is removed with `remove`, and one whose
/// owner cannot be checked is returned when it is unchanged (`last_changed`) for
/// [`UNCHECKED_AFTER`]. `remove` may instead put an entry back under another
/// name, which it returns. With `only`, the folders of results folder `only`
/// alone are looked at (`.<only>.tmp-…`, `.<only>.old-…`).
fn remove_leftovers(
    dir: &Path,
    only: Option<&str>,
    owner_of: fn(&str) -> Option<Option<Owner<'_>>>,
    is_kind: fn(&std::fs::FileType) -> bool,
    last_changed: fn(&Path) -> Option<SystemTime>,
    remove: fn(&Path) -> std::io::Result<Option<PathBuf>>,
) -> Result<Leftovers, PublishError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Leftovers::default()),
        Err(e) => return Err(io("read", dir)(e)),
    };
    let can_check = can_check();
    let now = SystemTime::now();
    let mut found = Leftovers::default();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = owner_of(&name) else {
            continue;
        };
        if let Some(id) = only
            && marker(&name).is_none_or(|(i, _)| name.get(1..i) != Some(id))
        {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| is_kind(&t)) {
            continue;
        }
        let path = entry.path();
        match owner {
            Some(owner) if can_check && owner.key == Some(owner_key()) => {
                let changed = entry.metadata().and_then(|m| m.modified()).ok();
                if is_gone(owner.pid, changed) {
                    match remove(&path) {
                        Ok(None) => found.removed.push(path),
                        Ok(Some(restored)) => found.restored.push((path, restored)),
                        Err(_) => {}
                    }
                }
            }
            _ => {
                let age = last_changed(&path).and_then(|t| now.duration_since(t).ok());
                if let Some(age) = age.filter(|a| *a >= UNCHECKED_AFTER) {
                    found.unchecked.push((path, age));
                }
            }
        }
    }
    found.removed.sort();
    found.restored.sort();
    found.unchecked.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {

    /// A process being killed (`PF_EXITING` in its flags: a tester's run just
    /// after `timeout -s KILL`, still tearing down 200 MB, state R) and a
    /// zombie are gone; a running one is not.
    #[test]
    fn an_exiting_process_is_gone() {
        let exiting = "15287 (enclave) R 1 15286 17958 0 -1 4195340 126702 0 0 0 331 55 0 0 20 0 1 0 6512345 1 2";
        assert_eq!(start_ticks(exiting), None);
        let running = "15287 (enclave x) R 1 15286 17958 0 -1 4194560 126702 0 0 0 331 55 0 0 20 0 1 0 6512345 1 2";
        assert_eq!(start_ticks(running), Some(Some(6_512_345.0)));
        let zombie = "15287 (enclave) Z 1 15286 17958 0 -1 4194560 126702 0 0 0 331 55 0 0 20 0 1 0 6512345 1 2";
        assert_eq!(start_ticks(zombie), None);
    }

    /// A process that has exited is gone even while it is a zombie (its
    /// parent has not waited for it): its leftovers are removed at once, not
    /// only once the parent reaps it (a tester's folder of a run killed under
    /// `timeout` survived the next run).
    #[test]
    #[cfg(target_os = "linux")]
    fn a_zombie_is_gone() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        let stat = || std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !stat().contains(") Z ") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(stat().contains(") Z "), "not a zombie: {}", stat());
        assert!(is_gone(pid, Some(SystemTime::now())));
        child.wait().expect("reaped");
        // This process is alive and not gone.
        assert!(!is_gone(std::process::id(), Some(SystemTime::now())));
    }
    use super::*;

    #[test]
    fn owners_are_read_from_hidden_folder_names() {
        let keyed = |key, pid| {
            Some(Owner {
                key: Some(key),
                pid,
            })
        };
        assert_eq!(
            owner(".jilin-zhejiang.tmp-0a1b2c3d-1234-0"),
            keyed("0a1b2c3d", 1234)
        );
        assert_eq!(owner(".a.tmp-b.old-12345678-77-3"), keyed("12345678", 77));
        assert_eq!(owner(".a-b.tmp-ffffffff-9-12"), keyed("ffffffff", 9));
        // Names of versions before the key.
        assert_eq!(
            owner(".jilin-zhejiang.tmp-1234-0"),
            Some(Owner {
                key: None,
                pid: 1234
            })
        );
        assert_eq!(owner("jilin-zhejiang.tmp-0a1b2c3d-1234-0"), None);
        assert_eq!(owner(".a.tmp-x-0"), None);
        assert_eq!(owner(".a.tmp-12-x"), None);
        assert_eq!(owner(".a.tmp-0A1B2C3D-12-0"), None);
        assert_eq!(owner(".a.tmp-0a1b2c3-12-0"), None);
        assert_eq!(owner(".a.tmp-0a1b2c3d-12-0-1"), None);
        assert_eq!(owner(".enclave-abc.tmp"), None);
    }

    #[test]
    fn temporary_files_are_named_with_their_owner() {
        let keyed = |key, pid| {
            Some(Some(Owner {
                key: Some(key),
                pid,
            }))
        };
        assert_eq!(
            temp_file_owner(".enclave-0a1b2c3d-1234-AbC123.tmp"),
            keyed("0a1b2c3d", 1234)
        );
        // Versions before the key: a temporary, whose owner is unknown.
        assert_eq!(temp_file_owner(".enclave-AbC123.tmp"), Some(None));
        assert_eq!(temp_file_owner(".enclave-0A1B2C3D-12-x.tmp"), Some(None));
        assert_eq!(
            temp_file_owner(".enclave-0a1b2c3d-x-AbC123.tmp"),
            Some(None)
        );
        assert_eq!(temp_file_owner(".enclave-0a1b2c3d-12-.tmp"), Some(None));
        for other in [
            "enclave-0a1b2c3d-12-AbC123.tmp",
            ".enclave-0a1b2c3d-12-AbC123.tmp.csv",
            ".x.tmp-0a1b2c3d-12-0",
            "notes.txt",
        ] {
            assert_eq!(temp_file_owner(other), None, "{other}");
        }
        // This process's atomic writes name theirs so.
        let tmp = tempfile::tempdir().expect("temporary folder");
        let f = crate::output::AtomicFile::create(&tmp.path().join("summary.csv")).expect("file");
        let name = names(tmp.path()).pop().expect("its temporary file");
        assert!(name.starts_with(temp_file_prefix()), "{name}");
        assert_eq!(
            temp_file_owner(&name),
            keyed(owner_key(), std::process::id())
        );
        f.commit().expect("renamed");
        assert_eq!(names(tmp.path()), ["summary.csv"]);
    }

    #[test]
    fn only_temporary_files_of_dead_processes_with_this_key_are_removed() {
        if !can_check() {
            return;
        }
        let tmp = tempfile::tempdir().expect("temporary folder");
        let dir = tmp.path();
        let (key, other) = (owner_key(), another_key());
        let dead = dead_pid();
        let ours_dead = format!(".enclave-{key}-{dead}-AAAAAA.tmp");
        let ours_live = format!(".enclave-{key}-{}-BBBBBB.tmp", std::process::id());
        let foreign = format!(".enclave-{other}-{dead}-CCCCCC.tmp");
        let foreign_old = format!(".enclave-{other}-{dead}-DDDDDD.tmp");
        let unkeyed_old = ".enclave-EEEEEE.tmp".to_owned();
        let old = SystemTime::now() - (UNCHECKED_AFTER + Duration::from_secs(3600));
        for name in [&ours_dead, &ours_live, &foreign, &foreign_old, &unkeyed_old] {
            std::fs::write(dir.join(name), "x").expect("file");
        }
        for name in [&foreign_old, &unkeyed_old] {
            std::fs::File::options()
                .write(true)
                .open(dir.join(name))
                .and_then(|f| f.set_modified(old))
                .expect("set the time");
        }
        // The user's files, and a folder with a temporary file's name, are not touched.
        std::fs::write(dir.join("notes.txt"), "mine").expect("file");
        std::fs::create_dir(dir.join(format!(".enclave-{key}-{dead}-FFFFFF.tmp"))).expect("folder");

        let found = remove_stale_files(dir).expect("listed");
        assert_eq!(found.removed, [dir.join(&ours_dead)]);
        let unchecked: Vec<&PathBuf> = found.unchecked.iter().map(|(p, _)| p).collect();
        assert_eq!(
            unchecked,
            [&dir.join(&foreign_old), &dir.join(&unkeyed_old)]
        );
        let mut kept = vec![
            ours_live,
            foreign,
            foreign_old,
            unkeyed_old,
            format!(".enclave-{key}-{dead}-FFFFFF.tmp"),
            "notes.txt".to_owned(),
        ];
        kept.sort();
        assert_eq!(names(dir), kept);
        // A folder that is not there holds nothing to remove.
        let none = remove_stale_files(&dir.join("set")).expect("nothing");
        assert!(none.removed.is_empty() && none.unchecked.is_empty());
    }

    #[test]
    fn a_manifest_of_named_files_lists_and_checks_only_them() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let dir = tmp.path();
        let own = ["summary.csv", "sweep.csv", "report.html", MANIFEST_FILE];
        std::fs::write(dir.join("summary.csv"), "rows").expect("file");
        std::fs::write(dir.join("notes.txt"), "mine").expect("file");
        std::fs::write(dir.join(".enclave-AbC123.tmp"), "x").expect("file");
        let manifest = write_manifest_of(dir, &own).expect("written");
        let listed: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(listed, ["summary.csv"]);
        verify_data_of(dir, &own).expect("the named files match");
        // The whole folder's check counts the others as extra.
        assert!(matches!(
            verify_data(dir),
            Err(PublishError::Damaged { .. })
        ));
        // A named file the manifest does not list is extra; one changed is damaged.
        std::fs::write(dir.join("sweep.csv"), "rows").expect("file");
        let e = verify_data_of(dir, &own).expect_err("sweep.csv is extra");
        assert_eq!(
            e.to_string(),
            "sweep.csv is not listed in manifest.json: it is not part of the run"
        );
        std::fs::remove_file(dir.join("sweep.csv")).expect("remove");
        std::fs::write(dir.join("summary.csv"), "rowz").expect("file");
        let e = verify_data_of(dir, &own).expect_err("summary.csv changed");
        assert!(
            e.to_string().starts_with("summary.csv does not match"),
            "{e}"
        );
    }

    #[test]
    fn this_process_names_its_folders_with_its_key() {
        let key = owner_key();
        assert_eq!(key.len(), KEY_LEN);
        let tmp = tempfile::tempdir().expect("temporary folder");
        let staging = Staging::create(tmp.path(), "a-b").expect("staging");
        let name = staging.path().file_name().expect("name").to_string_lossy();
        assert_eq!(
            owner(&name),
            Some(Owner {
                key: Some(key),
                pid: std::process::id()
            })
        );
    }

    /// A process id that has ended (its pid is, almost surely, not reused at once).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("run true");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    /// Makes `out/name` holding one file, last changed `age` ago.
    fn leftover(out: &Path, name: &str, age: Duration) {
        let dir = out.join(name);
        std::fs::create_dir(&dir).expect("folder");
        std::fs::write(dir.join("paths.csv"), "x").expect("file");
        let then = SystemTime::now() - age;
        for path in [dir.join("paths.csv"), dir] {
            std::fs::File::open(&path)
                .and_then(|f| f.set_modified(then))
                .expect("set the time");
        }
    }

    /// A key that is not this process's.
    fn another_key() -> &'static str {
        if owner_key() == "00000000" {
            "ffffffff"
        } else {
            "00000000"
        }
    }

    #[test]
    fn only_folders_of_dead_processes_with_this_key_are_removed() {
        if !can_check() {
            return;
        }
        let tmp = tempfile::tempdir().expect("temporary folder");
        let out = tmp.path();
        let (key, other) = (owner_key(), another_key());
        let dead = dead_pid();
        let live = std::process::id();
        // Now: a folder changed before this process started would be taken
        // for one of an earlier process with the same pid.
        let recent = Duration::ZERO;
        let old = UNCHECKED_AFTER + Duration::from_secs(3600);
        let ours_dead = format!(".x.tmp-{key}-{dead}-0");
        // Replaced by `y`, which took its place: removed.
        let ours_replaced = format!(".y.old-{key}-{dead}-4");
        std::fs::create_dir(out.join("y")).expect("the replacement");
        // Moved aside for a replacement that never took its place: put back.
        let ours_aside = format!(".w.old-{key}-{dead}-5");
        let ours_live = format!(".x.tmp-{key}-{live}-1");
        // Another host's or namespace's: its pid is dead here, and may be alive there.
        let foreign = format!(".x.tmp-{other}-{dead}-0");
        let foreign_old = format!(".y.old-{other}-{dead}-2");
        // An earlier version's, which did not say where it ran.
        let unkeyed_old = format!(".z.tmp-{dead}-0");
        leftover(out, &ours_dead, old);
        leftover(out, &ours_replaced, recent);
        leftover(out, &ours_aside, recent);
        leftover(out, &ours_live, recent);
        leftover(out, &foreign, recent);
        leftover(out, &foreign_old, old);
        leftover(out, &unkeyed_old, old);

        let found = remove_stale(out).expect("listed");
        assert_eq!(
            found.removed,
            [out.join(&ours_dead), out.join(&ours_replaced)]
        );
        assert_eq!(found.restored, [(out.join(&ours_aside), out.join("w"))]);
        assert!(out.join("w").is_dir() && !out.join(&ours_aside).exists());
        let unchecked: Vec<&PathBuf> = found.unchecked.iter().map(|(p, _)| p).collect();
        assert_eq!(
            unchecked,
            [&out.join(&foreign_old), &out.join(&unkeyed_old)]
        );
        for (_, age) in &found.unchecked {
            assert!(
                *age >= old && *age < old + Duration::from_secs(600),
                "{age:?}"
            );
        }
        let mut kept = vec![ours_live, foreign, foreign_old, unkeyed_old];
        kept.sort();
        let mut left = kept.clone();
        left.extend(["w".to_owned(), "y".to_owned()]);
        assert_eq!(names(out), left);
        // Kept folders are left whole.
        assert_eq!(names(&out.join(&kept[0])), ["paths.csv"]);
    }

    #[test]
    fn a_recent_file_makes_an_unchecked_folder_recent() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let out = tmp.path();
        let name = format!(".x.tmp-{}-0", dead_pid());
        leftover(out, &name, UNCHECKED_AFTER * 2);
        assert_eq!(remove_stale(out).expect("listed").unchecked.len(), 1);
        std::fs::write(out.join(&name).join("paths.csv"), "more").expect("write");
        let found = remove_stale(out).expect("listed");
        assert!(found.removed.is_empty() && found.unchecked.is_empty());
        assert_eq!(names(out), [name]);
    }

    /// A staging folder for `out/x` holding one file, ready to publish.
    fn staged(out: &Path) -> Staging {
        let staging = Staging::create(out, "x").expect("staging");
        std::fs::write(staging.path().join("summary.csv"), "new").expect("write");
        staging
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn publishing_refuses_to_replace_what_enclave_did_not_write() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let out = tmp.path();
        let target = out.join("x");
        // Taken while the run ran: a file, then a folder of the user's files.
        let staging = staged(out);
        std::fs::write(&target, "mine").expect("file");
        let e = staging.publish().expect_err("a file is not replaced");
        assert!(matches!(
            e,
            PublishError::Occupied {
                what: Occupant::File,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            format!(
                "{} is a file, and the results would replace it; move it, or choose another --out",
                target.display()
            )
        );
        assert_eq!(names(out), ["x"]);
        assert_eq!(std::fs::read_to_string(&target).expect("kept"), "mine");

        std::fs::remove_file(&target).expect("remove");
        std::fs::create_dir(&target).expect("folder");
        std::fs::write(target.join("notes.txt"), "mine").expect("notes");
        let e = staged(out)
            .publish()
            .expect_err("a foreign folder is not replaced");
        assert!(matches!(
            e,
            PublishError::Occupied {
                what: Occupant::Foreign,
                ..
            }
        ));
        assert_eq!(names(out), ["x"]);
        assert_eq!(names(&target), ["notes.txt"]);

        // A run record marks a folder of enclave's (from before manifests).
        std::fs::write(target.join(RUN_FILE), "{}").expect("run.json");
        staged(out).publish().expect("replaced");
        assert_eq!(names(out), ["x"]);
        assert_eq!(names(&target), [MANIFEST_FILE, "summary.csv"]);
        // So does a manifest; and an empty folder may be replaced.
        staged(out).publish().expect("replaced");
        std::fs::remove_dir_all(&target).expect("remove");
        std::fs::create_dir(&target).expect("empty folder");
        staged(out).publish().expect("replaced");
        assert_eq!(names(&target), [MANIFEST_FILE, "summary.csv"]);
    }

    #[test]
    fn files_added_to_a_folder_of_results_are_not_replaced_with_it() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let out = tmp.path();
        let target = out.join("x");
        staged(out).publish().expect("published");
        assert_eq!(occupant(&target), None);
        // A page drawn after the manifest is a run's; a chart it does not list,
        // or any other file, is someone's.
        std::fs::write(target.join(crate::report::REPORT_FILE), "page").expect("page");
        assert_eq!(occupant(&target), None);
        std::fs::create_dir(target.join("charts")).expect("charts");
        std::fs::write(target.join("charts/mine.svg"), "svg").expect("chart");
        std::fs::write(target.join("notes.txt"), "mine").expect("notes");
        assert_eq!(occupant(&target), Some(Occupant::Others));
        let e = staged(out).publish().expect_err("refused");
        assert_eq!(
            e.to_string(),
            format!(
                "{} is a folder of enclave's results that also holds files it did not write (charts/mine.svg, notes.txt), and the results would replace the folder and them; move them out of it, or choose another --out",
                target.display()
            )
        );
        assert_eq!(
            std::fs::read_to_string(target.join("notes.txt")).expect("kept"),
            "mine"
        );
        // Many are counted beyond the first few.
        for i in 0..7 {
            std::fs::write(target.join(format!("n{i}.txt")), "mine").expect("notes");
        }
        let e = check_place(&target).expect_err("refused").to_string();
        assert!(
            e.contains("(charts/mine.svg, n0.txt, n1.txt, n2.txt, n3.txt and 4 more)"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_broken_link_is_refused_and_a_link_to_results_is_replaced() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let out = tmp.path();
        let target = out.join("x");
        std::os::unix::fs::symlink(out.join("nowhere"), &target).expect("link");
        assert_eq!(occupant(&target), Some(Occupant::BrokenLink));
        std::fs::create_dir(out.join("nowhere")).expect("folder");
        std::fs::write(out.join("nowhere").join("notes.txt"), "mine").expect("notes");
        assert_eq!(occupant(&target), Some(Occupant::Foreign));
        std::fs::write(out.join("nowhere").join(MANIFEST_FILE), "{}").expect("manifest");
        staged(out).publish().expect("the link is replaced");
        // What it pointed to is left as it was.
        assert_eq!(names(&out.join("nowhere")), [MANIFEST_FILE, "notes.txt"]);
        assert!(target.is_dir() && !target.is_symlink());
    }

    #[test]
    fn a_second_writer_of_the_same_folder_stops_before_it_starts() {
        if !can_check() {
            return;
        }
        let tmp = tempfile::tempdir().expect("temp dir");
        let out = tmp.path();
        // The parent of this test process is alive and started before it: its
        // temporary folder for `x` stands for a run writing out/x.
        let parent = std::os::unix::process::parent_id();
        let theirs = out.join(format!(".x{TMP}{}-{parent}-0", owner_key()));
        std::fs::create_dir(&theirs).expect("their folder");
        match Staging::create(out, "x") {
            Err(PublishError::Busy { pid, path }) => {
                assert_eq!(pid, parent);
                assert!(path.ends_with("x"), "{path}");
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        // This one's folder is gone again; theirs is untouched.
        let names: Vec<_> = std::fs::read_dir(out)
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, [theirs.file_name().expect("name").to_owned()]);
        // Another id, and a dead owner, do not stop a run.
        assert!(Staging::create(out, "y").is_ok());
        std::fs::remove_dir(&theirs).expect("remove");
        let dead = out.join(format!(".x{TMP}{}-{}-0", owner_key(), u32::MAX - 1));
        std::fs::create_dir(dead).expect("dead folder");
        assert!(Staging::create(out, "x").is_ok());
    }

    #[test]
    fn this_process_is_alive_and_started_before_now() {
        if Path::new("/proc/self/stat").exists() {
            let start = started(std::process::id())
                .expect("alive")
                .expect("start time");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs_f64();
            assert!(start <= now + 1.0 && start > now - 86_400.0 * 365.0);
        }
    }
}
