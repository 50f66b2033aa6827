//! containerd driven through its gRPC API (`containerd-client`), as runwasi's stress test
//! drives it, rather than through `ctr`: one task's whole life (create container, create
//! task, start, wait, delete task, delete container) as one timed call, many of them in
//! flight at once.
//!
//! Everything lives in a namespace of its own ([`NAMESPACE`]), so nothing here touches the
//! containers `ctr` runs in `default`. Containers are named with this process's prefix
//! (`wasmlab-<pid>-...`); [`remove_leftovers`], registered for Ctrl-C, removes what is left
//! of them. No image or snapshot is involved: the rootfs is a prepared host directory
//! ([`Rootfs`]), mounted read-only, so every concurrent task shares it.

use super::containerd::{container_name, Runtime};
use containerd_client::services::v1::container::Runtime as ContainerRuntime;
use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::namespaces_client::NamespacesClient;
use containerd_client::services::v1::tasks_client::TasksClient;
use containerd_client::services::v1::version_client::VersionClient;
use containerd_client::services::v1::{
    Container, CreateContainerRequest, CreateTaskRequest, DeleteContainerRequest,
    DeleteNamespaceRequest, DeleteTaskRequest, KillRequest, ListContainersRequest, StartRequest,
    WaitRequest,
};
use containerd_client::tonic::metadata::MetadataValue;
use containerd_client::tonic::transport::Channel;
use containerd_client::tonic::Request;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// containerd's socket (the default of `ctr`).
pub const SOCKET: &str = "/run/containerd/containerd.sock";
/// The namespace the stress tasks run in; their cgroups are `/<namespace>/<id>`.
pub const NAMESPACE: &str = "wasmlab-stress";
/// The type containerd expects a container's spec to be packed as.
const SPEC_TYPE: &str = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
/// Longest the removal of what is left may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);
/// The signal that ends a task still running at its timeout.
const SIGKILL: u32 = 9;

/// Set once an interruption started removing what is left: no new task is created after.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Tasks between their start and their end (removed, or failed and removed).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts a task in [`IN_FLIGHT`] while it lives.
struct Flying;

impl Flying {
    fn new() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for Flying {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A root filesystem as a host directory: the service's artifact and the mount points the
/// spec's mounts need, prepared once so that a read-only root needs no write at start.
#[derive(Debug, Clone)]
pub struct Rootfs {
    /// Absolute, as containerd resolves `root.path` outside the bundle.
    pub dir: PathBuf,
    /// The command, as the container sees it (`/moscow-time`, `/moscow-time.wasm`).
    pub entry: String,
}

impl Rootfs {
    /// Writes `artifact` as `/<entry>` into `dir` (made anew), with the mount points.
    pub fn prepare(dir: &Path, artifact: &Path, entry: &str) -> Result<Self, String> {
        let fail = |what: &str, e: std::io::Error| {
            format!("cannot prepare the rootfs {}: {what}: {e}", dir.display())
        };
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail("remove", e)),
            _ => {}
        }
        for mount_point in ["proc", "dev", "sys", "run"] {
            std::fs::create_dir_all(dir.join(mount_point)).map_err(|e| fail(mount_point, e))?;
        }
        std::fs::copy(artifact, dir.join(entry))
            .map_err(|e| fail(&format!("copy {}", artifact.display()), e))?;
        let dir = std::fs::canonicalize(dir).map_err(|e| fail("resolve", e))?;
        Ok(Self {
            dir,
            entry: format!("/{entry}"),
        })
    }
}

/// The OCI runtime spec of a `MODE=once` run of `rootfs`'s entry: containerd's defaults
/// (as `ctr oci spec` prints them) with the root read-only and the cgroup under
/// [`NAMESPACE`].
pub fn spec(rootfs: &Rootfs, id: &str) -> serde_json::Value {
    const CAPABILITIES: [&str; 14] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];
    let tmpfs = ["nosuid", "strictatime", "mode=755", "size=65536k"];
    serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": [rootfs.entry],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MODE=once"],
            "cwd": "/",
            "capabilities": {
                "bounding": CAPABILITIES,
                "effective": CAPABILITIES,
                "permitted": CAPABILITIES,
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true,
        },
        "root": {"path": rootfs.dir, "readonly": true},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": tmpfs},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": tmpfs},
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "cgroupsPath": format!("/{NAMESPACE}/{id}"),
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "network"}],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    })
}

/// `message` addressed to [`NAMESPACE`].
fn namespaced<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "containerd-namespace",
        MetadataValue::from_static(NAMESPACE),
    );
    request
}

/// A connection to containerd; cheap to clone (one channel, multiplexed).
#[derive(Clone)]
pub struct Api {
    channel: Channel,
}

impl Api {
    pub async fn connect() -> Result<Self, String> {
        let channel = containerd_client::connect(SOCKET)
            .await
            .map_err(|e| format!("cannot connect to containerd at {SOCKET}: {e}"))?;
        Ok(Self { channel })
    }

    /// Whether containerd answers a version request within `within` (a daemon that is
    /// stopped accepts the connection and never answers; one that is gone refuses it).
    pub async fn answers(within: Duration) -> Result<(), String> {
        let asked = async {
            let api = Self::connect().await?;
            VersionClient::new(api.channel)
                .version(Request::new(()))
                .await
                .map(drop)
                .map_err(|e| format!("its version request failed: {}", e.message()))
        };
        tokio::time::timeout(within, asked)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "it did not answer a version request within {} s",
                    within.as_secs_f64()
                ))
            })
    }

    fn containers(&self) -> ContainersClient<Channel> {
        ContainersClient::new(self.channel.clone())
    }

    fn tasks(&self) -> TasksClient<Channel> {
        TasksClient::new(self.channel.clone())
    }

    /// One task's whole life under `runtime`, as container `id`: create container, create
    /// task (no stdio, as `ctr run --null-io`), start, wait, delete task, delete container.
    /// Its duration when it exited 0 within `timeout`; otherwise why not, with the
    /// container and its task removed.
    pub async fn run_task(
        &self,
        runtime: Runtime,
        rootfs: &Rootfs,
        id: &str,
        timeout: Duration,
    ) -> Result<Duration, String> {
        let _flying = Flying::new();
        if STOPPING.load(Ordering::SeqCst) {
            return Err("interrupted".to_owned());
        }
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout, self.life(runtime, rootfs, id)).await;
        let result = match outcome {
            Ok(Ok(())) => return Ok(started.elapsed()),
            Ok(Err(e)) => Err(format!("task {id}: {e}")),
            Err(_) => Err(format!(
                "task {id} did not finish within {} s",
                timeout.as_secs_f64()
            )),
        };
        // A daemon that stopped answering would hold the removal too: what it has of the
        // task is left to the next run's start.
        if super::containerd::still_answering_async().await.is_ok() {
            let _ = tokio::time::timeout(CLEANUP_TIMEOUT, self.remove(id)).await;
        }
        result
    }

    async fn life(&self, runtime: Runtime, rootfs: &Rootfs, id: &str) -> Result<(), String> {
        let container = Container {
            id: id.to_owned(),
            runtime: Some(ContainerRuntime {
                name: runtime.name().to_owned(),
                options: None,
            }),
            spec: Some(prost_types::Any {
                type_url: SPEC_TYPE.to_owned(),
                value: spec(rootfs, id).to_string().into_bytes(),
            }),
            ..Default::default()
        };
        self.containers()
            .create(namespaced(CreateContainerRequest {
                container: Some(container),
            }))
            .await
            .map_err(|e| format!("create container: {}", e.message()))?;
        let mut tasks = self.tasks();
        tasks
            .create(namespaced(CreateTaskRequest {
                container_id: id.to_owned(),
                ..Default::default()
            }))
            .await
            .map_err(|e| format!("create task: {}", e.message()))?;
        tasks
            .start(namespaced(StartRequest {
                container_id: id.to_owned(),
                ..Default::default()
            }))
            .await
            .map_err(|e| format!("start: {}", e.message()))?;
        let waited = tasks
            .wait(namespaced(WaitRequest {
                container_id: id.to_owned(),
                ..Default::default()
            }))
            .await
            .map_err(|e| format!("wait: {}", e.message()))?;
        let status = waited.into_inner().exit_status;
        if status != 0 {
            return Err(format!("exited with status {status}"));
        }
        tasks
            .delete(namespaced(DeleteTaskRequest {
                container_id: id.to_owned(),
            }))
            .await
            .map_err(|e| format!("delete task: {}", e.message()))?;
        self.containers()
            .delete(namespaced(DeleteContainerRequest { id: id.to_owned() }))
            .await
            .map_err(|e| format!("delete container: {}", e.message()))?;
        Ok(())
    }

    /// Kills and deletes the task of container `id`, then the container; errors ignored
    /// (either may be gone already).
    pub async fn remove(&self, id: &str) {
        let mut tasks = self.tasks();
        let _ = tasks
            .kill(namespaced(KillRequest {
                container_id: id.to_owned(),
                signal: SIGKILL,
                all: true,
                ..Default::default()
            }))
            .await;
        // A killed task must have stopped before it can be deleted.
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            tasks.wait(namespaced(WaitRequest {
                container_id: id.to_owned(),
                ..Default::default()
            })),
        )
        .await;
        let _ = tasks
            .delete(namespaced(DeleteTaskRequest {
                container_id: id.to_owned(),
            }))
            .await;
        let _ = self
            .containers()
            .delete(namespaced(DeleteContainerRequest { id: id.to_owned() }))
            .await;
    }

    /// The ids of the containers in [`NAMESPACE`] that start with `prefix`.
    pub async fn containers_with(&self, prefix: &str) -> Result<Vec<String>, String> {
        let listed = self
            .containers()
            .list(namespaced(ListContainersRequest::default()))
            .await
            .map_err(|e| format!("list containers: {}", e.message()))?;
        Ok(listed
            .into_inner()
            .containers
            .into_iter()
            .map(|c| c.id)
            .filter(|id| id.starts_with(prefix))
            .collect())
    }

    /// Removes this process's containers (with their tasks) from [`NAMESPACE`], then the
    /// namespace when nothing else is in it (containerd refuses to delete one in use).
    pub async fn remove_own(&self) -> Result<(), String> {
        // Tasks in flight when an interruption came run to their end first (a task created
        // but never started, once killed and deleted, leaves the shim running; a container
        // removed while its task is being created leaves a task nothing can reach).
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for id in self.containers_with(&own_prefix()).await? {
            self.remove(&id).await;
        }
        self.remove_namespace().await;
        Ok(())
    }

    /// Deletes [`NAMESPACE`] and its cgroups when nothing is left in it (containerd
    /// refuses to delete a namespace in use, a concurrent run's for example); whether it did.
    async fn remove_namespace(&self) -> bool {
        let deleted = NamespacesClient::new(self.channel.clone())
            .delete(Request::new(DeleteNamespaceRequest {
                name: NAMESPACE.to_owned(),
            }))
            .await
            .is_ok();
        if deleted {
            remove_cgroups();
        }
        deleted
    }
}

/// Removes the namespace's parent cgroups (`/sys/fs/cgroup/[<controller>/]<namespace>`),
/// which the runtimes create for the tasks' cgroups and leave behind. The kernel refuses
/// to remove one that still holds a cgroup, so errors are ignored.
fn remove_cgroups() {
    let root = Path::new("/sys/fs/cgroup");
    let _ = std::fs::remove_dir(root.join(NAMESPACE));
    if let Ok(controllers) = std::fs::read_dir(root) {
        for controller in controllers.flatten() {
            let _ = std::fs::remove_dir(controller.path().join(NAMESPACE));
        }
    }
}

/// The prefix of every container this process names.
pub fn own_prefix() -> String {
    container_name("")
}

/// Runs `work` on a tokio runtime of its own (one thread: the work is waiting on
/// containerd, and a second thread would compete with the containers for 2 cores).
pub fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    Ok(runtime.block_on(work))
}

/// For the interruption handler: no new task starts, and this process's containers in
/// [`NAMESPACE`] are removed. Quiet when containerd does not answer.
pub fn remove_leftovers() {
    STOPPING.store(true, Ordering::SeqCst);
    if super::containerd::stopped().is_err() {
        // Left for the next run's start: waiting here would only delay the exit.
        return;
    }
    // The timer is made inside the runtime: tokio's clock belongs to it.
    let _ = block_on(async {
        tokio::time::timeout(CLEANUP_TIMEOUT, async {
            match Api::connect().await {
                Ok(api) => api.remove_own().await,
                Err(e) => Err(e),
            }
        })
        .await
    });
}

/// Removes the containers (and tasks) of dead runs from [`NAMESPACE`]; what it removed.
pub fn remove_stale() -> Vec<String> {
    if super::containerd::containerd().is_err() {
        return Vec::new();
    }
    block_on(async {
        tokio::time::timeout(CLEANUP_TIMEOUT, async {
            let api = Api::connect().await.ok()?;
            let ids = api.containers_with("wasmlab-").await.ok()?;
            let mut removed = Vec::new();
            for id in ids.into_iter().filter(|id| super::leftovers::is_stale(id)) {
                api.remove(&id).await;
                removed.push(format!("container {id} (containerd, {NAMESPACE})"));
            }
            // A run that finishes deletes the namespace; one left (empty) is a dead run's.
            if api.remove_namespace().await {
                removed.push(format!("namespace {NAMESPACE} (containerd)"));
            }
            Some(removed)
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_runs_the_entry_once_from_a_read_only_root_in_its_namespace() {
        let rootfs = Rootfs {
            dir: PathBuf::from("/w/rootfs"),
            entry: "/moscow-time.wasm".to_owned(),
        };
        let spec = spec(&rootfs, "wasmlab-1-x");
        assert_eq!(spec["process"]["args"][0], "/moscow-time.wasm");
        assert!(spec["process"]["env"]
            .as_array()
            .is_some_and(|env| env.iter().any(|v| v == "MODE=once")));
        assert_eq!(spec["root"]["path"], "/w/rootfs");
        assert_eq!(spec["root"]["readonly"], true);
        assert_eq!(spec["linux"]["cgroupsPath"], "/wasmlab-stress/wasmlab-1-x");
    }

    #[test]
    fn a_prepared_rootfs_holds_the_entry_and_the_mount_points() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("a.wasm");
        std::fs::write(&artifact, b"\0asm").unwrap();
        let root = dir.path().join("root");
        let rootfs = Rootfs::prepare(&root, &artifact, "moscow-time.wasm").unwrap();
        assert!(rootfs.dir.is_absolute());
        assert_eq!(rootfs.entry, "/moscow-time.wasm");
        assert!(rootfs.dir.join("moscow-time.wasm").is_file());
        for mount_point in ["proc", "dev", "sys", "run"] {
            assert!(rootfs.dir.join(mount_point).is_dir(), "{mount_point}");
        }
    }
}
