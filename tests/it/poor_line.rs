//! A poor line in user space (this kernel has no `netem`): a network namespace of the test's own, joined to
//! the host by two TUN devices and a relay that applies rate, delay, loss and a bounded queue to every
//! packet, both ways. A browser started in the namespace reaches the service only over that line: its
//! pages, its WebSocket and its WebRTC media. Its driver is reached around the line (a forwarder that opens
//! its connections inside the namespace), so steering the browser costs the line nothing.
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the line does to each packet, each way.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub rate_bits: u64,
    /// One way: the round trip is twice this.
    pub delay: Duration,
    pub loss: f64,
    /// Bytes waiting to be sent at most; more are dropped (a router's queue).
    pub queue_bytes: u64,
}

impl Shape {
    /// The line of issue 16: 50 kbit/s, 300 ms round trip, 5 % loss, a queue of about 2.5 s (a mobile
    /// network's buffers are rather larger).
    pub fn poor() -> Shape {
        Shape { rate_bits: 50_000, delay: Duration::from_millis(150), loss: 0.05, queue_bytes: 16_000 }
    }
}

/// Packets and bytes that crossed the line one way.
#[derive(Default)]
pub struct Counters {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    /// Of those, TCP (pages and the WebSocket) rather than media.
    pub tcp_bytes: AtomicU64,
    pub dropped: AtomicU64,
}

pub struct PoorLine {
    name: String,
    /// The host's end of the line (the guest's is `.2`).
    pub host: Ipv4Addr,
    stop: Arc<AtomicBool>,
    /// While set, nothing crosses (an outage).
    down: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Towards the namespace (download) and out of it (upload).
    pub to_guest: Arc<Counters>,
    pub from_guest: Arc<Counters>,
}

static LINES: AtomicU32 = AtomicU32::new(0);

fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status().expect("ip (iproute2) is required for the poor-line tests");
    assert!(status.success(), "ip {args:?}");
}

/// The host's IPv4 addresses other than loopback (and other lines' ends).
fn own_addresses() -> Vec<Ipv4Addr> {
    let output = Command::new("ip").args(["-4", "-o", "addr", "show"]).output().expect("ip addr");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().skip_while(|word| *word != "inet").nth(1))
        .filter_map(|cidr| cidr.split('/').next()?.parse::<Ipv4Addr>().ok())
        .filter(|address| !address.is_loopback() && address.octets()[..2] != [10, 201])
        .collect()
}

/// Enters the namespace at `path` with the calling thread only.
fn enter(path: &std::path::Path) {
    let ns = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // SAFETY: setns on a valid descriptor of a network namespace; it changes this thread only.
    let done = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(done, 0, "setns: {}", std::io::Error::last_os_error());
}

/// A TUN device (`IFF_TUN | IFF_NO_PI`: bare IP packets) in the calling thread's namespace.
fn open_tun(name: &str) -> File {
    let file = std::fs::OpenOptions::new().read(true).write(true).open("/dev/net/tun").expect("/dev/net/tun");
    #[repr(C)]
    struct IfReq {
        name: [u8; libc::IFNAMSIZ],
        flags: libc::c_short,
        _rest: [u8; 22],
    }
    let mut request =
        IfReq { name: [0; libc::IFNAMSIZ], flags: (libc::IFF_TUN | libc::IFF_NO_PI) as _, _rest: [0; 22] };
    request.name[..name.len()].copy_from_slice(name.as_bytes());
    const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
    // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `IfReq` lays out.
    let done = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF as _, &mut request) };
    assert_eq!(done, 0, "TUNSETIFF {name}: {}", std::io::Error::last_os_error());
    file
}

/// The relay's threads run before the browsers (real-time priority, as root): a line that is late because
/// the test machine is busy would measure the machine, not the line.
fn promptly() {
    let parameters = libc::sched_param { sched_priority: 10 };
    // SAFETY: sets this thread's own policy; failure (no privilege) leaves it as it was.
    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &parameters) };
}

/// Waits up to 100 ms for a packet.
fn readable(file: &File) -> bool {
    let mut poll = libc::pollfd { fd: file.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut poll, 1, 100) > 0 }
}

impl PoorLine {
    pub fn new(shape: Shape) -> PoorLine {
        let n = LINES.fetch_add(1, Ordering::SeqCst);
        let id = std::process::id() % 10_000;
        let name = format!("spr{id}l{n}");
        let subnet = (id * 8 + n) % 250 + 1;
        let (host, guest) = (Ipv4Addr::new(10, 201, subnet as u8, 1), Ipv4Addr::new(10, 201, subnet as u8, 2));
        let (host_tun, guest_tun) = (format!("plh{id}x{n}"), format!("plg{id}x{n}"));
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        let outer = Arc::new(open_tun(&host_tun));
        let path = PathBuf::from(format!("/var/run/netns/{name}"));
        let inner = {
            let (path, guest_tun) = (path.clone(), guest_tun.clone());
            std::thread::spawn(move || {
                enter(&path);
                open_tun(&guest_tun)
            })
            .join()
            .unwrap()
        };
        let inner = Arc::new(inner);
        ip(&["addr", "add", &host.to_string(), "peer", &guest.to_string(), "dev", &host_tun]);
        ip(&["link", "set", &host_tun, "up"]);
        ip(&["-n", &name, "addr", "add", &guest.to_string(), "peer", &host.to_string(), "dev", &guest_tun]);
        ip(&["-n", &name, "link", "set", &guest_tun, "up"]);
        // Firefox finds its address by the route to 8.8.8.8 (nothing is sent there) and gathers no candidate
        // without one. The host's other addresses are reachable too (a Firefox on the host offers only
        // those). No default route: Chromium's lookups of other hosts went into the line (which passes only
        // what goes to the host) and timed out, holding pages up by 25 s.
        let host_addresses = own_addresses();
        for address in host_addresses.iter().map(Ipv4Addr::to_string).chain(["8.8.8.8".to_owned()]) {
            ip(&["-n", &name, "route", "add", &format!("{address}/32"), "dev", &guest_tun]);
        }
        let mut line = PoorLine {
            name,
            host,
            stop: Arc::default(),
            down: Arc::default(),
            threads: Vec::new(),
            to_guest: Arc::default(),
            from_guest: Arc::default(),
        };
        let (to_guest, from_guest) = (line.to_guest.clone(), line.from_guest.clone());
        line.relay(outer.clone(), inner.clone(), shape, to_guest, (1, None));
        line.relay(inner, outer, shape, from_guest, (2, Some([vec![host], host_addresses].concat())));
        line
    }

    pub fn namespace(&self) -> &str {
        &self.name
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(format!("/var/run/netns/{}", self.name))
    }

    /// One direction: read a packet, drop it (loss, full queue, outage, or bound elsewhere than `only_to`)
    /// or send it on after its turn on the wire plus the delay.
    fn relay(
        &mut self,
        from: Arc<File>,
        to: Arc<File>,
        shape: Shape,
        counters: Arc<Counters>,
        (seed, only_to): (u64, Option<Vec<Ipv4Addr>>),
    ) {
        let (stop, down) = (self.stop.clone(), self.down.clone());
        let (sender, receiver) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
        let delivered = counters.clone();
        self.threads.push(std::thread::spawn(move || {
            promptly();
            let mut random = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut wire_free = Instant::now();
            let mut buffer = vec![0u8; 65_536];
            let (trace, started) = (std::env::var("POOR_LINE_PACKETS").is_ok(), Instant::now());
            while !stop.load(Ordering::Relaxed) {
                if !readable(&from) {
                    continue;
                }
                let Ok(size) = (&*from).read(&mut buffer) else { break };
                // Nothing leaves the test's own two addresses (an IPv4 header's destination: bytes 16–19).
                let elsewhere = only_to
                    .as_ref()
                    .is_some_and(|hosts| size < 20 || !hosts.iter().any(|host| buffer[16..20] == host.octets()));
                if elsewhere {
                    continue;
                }
                // xorshift: enough randomness for loss, and the same sequence every run.
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                let lost = (random % 1_000_000) as f64 / 1_000_000.0 < shape.loss;
                let now = Instant::now();
                wire_free = wire_free.max(now);
                let queued = (wire_free - now).as_secs_f64() * shape.rate_bits as f64 / 8.0;
                if lost || down.load(Ordering::Relaxed) || queued + size as f64 > shape.queue_bytes as f64 {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if trace {
                    let ihl = (buffer[0] & 0x0f) as usize * 4;
                    let (first, second) =
                        (buffer.get(ihl + 8).copied().unwrap_or(0), buffer.get(ihl + 9).copied().unwrap_or(0));
                    let class = match (buffer[9], first) {
                        (6, _) => "tcp",
                        (17, 0..=3) => "stun",
                        (17, 20..=63) => "dtls",
                        (17, 128..=191) if (200..=206).contains(&second) => "rtcp",
                        (17, 128..=191) => "rtp",
                        _ => "other",
                    };
                    eprintln!("line {seed} {:>7.3} {class} {size} queued {queued:.0}", started.elapsed().as_secs_f64());
                }
                wire_free += Duration::from_secs_f64(size as f64 * 8.0 / shape.rate_bits as f64);
                if sender.send((wire_free + shape.delay, buffer[..size].to_vec())).is_err() {
                    break;
                }
            }
        }));
        self.threads.push(std::thread::spawn(move || {
            promptly();
            for (at, packet) in receiver {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                if (&*to).write(&packet).is_ok() {
                    delivered.packets.fetch_add(1, Ordering::Relaxed);
                    delivered.bytes.fetch_add(packet.len() as u64, Ordering::Relaxed);
                    if packet.get(9) == Some(&6) {
                        delivered.tcp_bytes.fetch_add(packet.len() as u64, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    /// Cuts the line (`true`) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Relaxed);
    }

    /// The service on `127.0.0.1:port` of the host, reachable under the same address inside the namespace,
    /// but over the line: same origin, a secure context, every byte shaped.
    pub fn carry(&mut self, port: u16) {
        let outer = SocketAddr::from((self.host, port));
        self.forward(None, outer, None, SocketAddr::from(([127, 0, 0, 1], port)));
        let inner = SocketAddr::from(([127, 0, 0, 1], port));
        self.forward(Some(self.path()), inner, Some(self.path()), outer);
    }

    /// The same port on the host's loopback leads to `port` on the namespace's loopback, around the line
    /// (the same number: geckodriver refuses a Host header with another port). `port` must be free here.
    pub fn control(&mut self, port: u16) -> u16 {
        let inner = SocketAddr::from(([127, 0, 0, 1], port));
        self.forward(None, inner, Some(self.path()), inner);
        port
    }

    /// Accepts on `listen` (inside `listen_ns` if given) and connects each connection on to `connect`
    /// (from inside `connect_ns` if given).
    fn forward(
        &mut self,
        listen_ns: Option<PathBuf>,
        listen: SocketAddr,
        connect_ns: Option<PathBuf>,
        connect: SocketAddr,
    ) {
        let stop = self.stop.clone();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        self.threads.push(std::thread::spawn(move || {
            if let Some(path) = &listen_ns {
                enter(path);
            }
            let listener = TcpListener::bind(listen).unwrap_or_else(|e| panic!("bind {listen}: {e}"));
            listener.set_nonblocking(true).unwrap();
            bound_tx.send(()).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let connect_ns = connect_ns.clone();
                std::thread::spawn(move || {
                    if let Some(path) = &connect_ns {
                        enter(path);
                    }
                    client.set_nonblocking(false).unwrap();
                    let Ok(server) = TcpStream::connect(connect) else { return };
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    let (mut client_in, mut server_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                    let upstream = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut client_in, &mut server_out);
                        let _ = server_out.shutdown(std::net::Shutdown::Write);
                    });
                    let (mut server_in, mut client_out) = (server, client);
                    let _ = std::io::copy(&mut server_in, &mut client_out);
                    let _ = client_out.shutdown(std::net::Shutdown::Write);
                    let _ = upstream.join();
                });
            }
        }));
        bound_rx.recv_timeout(Duration::from_secs(5)).expect("the forwarder listens");
    }
}

impl Drop for PoorLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        // The host's TUN device goes with its descriptor; the namespace takes the other with it.
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}
