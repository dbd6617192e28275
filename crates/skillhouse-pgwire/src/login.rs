//! Logins: bounded in time, counted against the connection limit only once authenticated, and slowed down after
//! repeated failures from one address.
//!
//! pgwire gives a client 60 s to authenticate, and the server counted every accepted socket against
//! `--pg-max-connections`: 32 idle sockets that never sent a byte locked every analyst out for a minute at a time.
//! Now a connection that has not logged in after the [login timeout](PgConfig::login_timeout) is closed; until it
//! logs in it only holds a handshake slot, of which there are many more ([`MAX_HANDSHAKES`], at most
//! [`MAX_HANDSHAKES_PER_ADDRESS`] from one address); and a session slot of `--pg-max-connections` is taken by the
//! message that completes the login, so a full server answers `53300 too_many_connections` and an idle socket
//! never holds one.
//!
//! Failed logins: after [`FREE_FAILURES`] failures from one address (typos), each further attempt from it waits
//! for its turn, and each turn is twice as long as the one before ([`FIRST_DELAY`] up to [`MAX_DELAY`]). The turn
//! is taken before the password is checked, so opening many connections at once does not test passwords faster;
//! a turn further away than the login timeout is refused at once (`28000`, "try again in N s"). A successful login
//! from the address forgets its failures, and so does [`FORGET_AFTER`] without one.
//!
//! [`PgConfig`]: crate::PgConfig

use datafusion_postgres::pgwire::api::auth::sasl::SASLAuthStartupHandler;
use datafusion_postgres::pgwire::api::auth::{ServerParameterProvider, StartupHandler};
use datafusion_postgres::pgwire::api::{ClientInfo, PgWireConnectionState};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use futures::Sink;
use std::collections::HashMap;
use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Time a client has from connecting to being logged in (a few seconds: psql, JDBC and libpq need milliseconds).
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections not yet logged in, from all addresses together.
pub const MAX_HANDSHAKES: usize = 256;

/// Connections not yet logged in from one address; the first wave of a password-guessing burst is at most this.
pub const MAX_HANDSHAKES_PER_ADDRESS: usize = 64;

/// Failed logins from one address before the next attempts have to wait.
pub const FREE_FAILURES: u32 = 3;

/// The wait after the first failure beyond the free ones; it doubles with each further failure.
pub const FIRST_DELAY: Duration = Duration::from_millis(250);

/// The longest wait between two attempts from one address.
pub const MAX_DELAY: Duration = Duration::from_secs(8);

/// Failures of an address are forgotten after this long without another.
pub const FORGET_AFTER: Duration = Duration::from_secs(600);

/// Addresses remembered before the forgotten ones are cleared out.
const MAX_REMEMBERED: usize = 10_000;

/// Time kept back from the login timeout for the exchange itself after a wait for a turn.
const EXCHANGE_TIME: Duration = Duration::from_secs(1);

/// The connection limits and the failure record shared by every connection of the server.
#[derive(Debug)]
pub struct Gate {
    sessions: Arc<Semaphore>,
    max_sessions: usize,
    handshakes: Arc<Semaphore>,
    addresses: Mutex<HashMap<IpAddr, Address>>,
    login_timeout: Duration,
}

/// What the gate remembers of one address.
#[derive(Debug, Default)]
struct Address {
    /// Connections from it not logged in yet.
    handshakes: usize,
    /// Failed logins not forgotten yet.
    failures: u32,
    last_failure: Option<Instant>,
    /// When the next attempt may check its password.
    next_turn: Option<Instant>,
}

/// Whether an attempt may go on.
#[derive(Debug, PartialEq, Eq)]
enum Turn {
    /// After waiting this long (zero for an address without failures).
    After(Duration),
    /// Not within the login timeout: the turn would come after this long.
    Refused(Duration),
}

impl Gate {
    /// A gate for `max_sessions` logged-in sessions and logins bounded by `login_timeout`.
    pub fn new(max_sessions: usize, login_timeout: Duration) -> Self {
        let max_sessions = max_sessions.max(1);
        Self {
            sessions: Arc::new(Semaphore::new(max_sessions)),
            max_sessions,
            handshakes: Arc::new(Semaphore::new(MAX_HANDSHAKES)),
            addresses: Mutex::new(HashMap::new()),
            login_timeout,
        }
    }

    /// The login timeout.
    pub fn login_timeout(&self) -> Duration {
        self.login_timeout
    }

    /// A handshake slot for a connection just accepted from `address`, or `None` when too many connections are
    /// logging in (from it, or at all).
    pub fn start_handshake(self: &Arc<Self>, address: IpAddr) -> Option<Handshake> {
        let permit = Arc::clone(&self.handshakes).try_acquire_owned().ok()?;
        let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
        let record = addresses.entry(address).or_default();
        if record.handshakes >= MAX_HANDSHAKES_PER_ADDRESS {
            return None;
        }
        record.handshakes += 1;
        Some(Handshake { gate: Arc::clone(self), address, _permit: permit })
    }

    /// When an attempt from `address` may check its password: takes the address's next turn when it has failed
    /// too often, or refuses when that turn is further away than `budget`.
    fn take_turn(&self, address: IpAddr, now: Instant, budget: Duration) -> Turn {
        let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
        let record = addresses.entry(address).or_default();
        if record.last_failure.is_some_and(|last| now.duration_since(last) > FORGET_AFTER) {
            record.failures = 0;
            record.next_turn = None;
        }
        if record.failures < FREE_FAILURES {
            return Turn::After(Duration::ZERO);
        }
        let turn = record.next_turn.map_or(now, |next| next.max(now));
        let wait = turn - now;
        if wait > budget {
            return Turn::Refused(wait);
        }
        record.next_turn = Some(turn + delay(record.failures));
        Turn::After(wait)
    }

    fn failed(&self, address: IpAddr, now: Instant) {
        let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
        if addresses.len() >= MAX_REMEMBERED {
            // Many addresses failing (a scan from a whole network): keep what still matters.
            addresses.retain(|_, record| {
                record.handshakes > 0
                    || record.last_failure.is_some_and(|last| now.duration_since(last) <= FORGET_AFTER)
            });
        }
        let record = addresses.entry(address).or_default();
        record.failures = record.failures.saturating_add(1);
        record.last_failure = Some(now);
    }

    fn succeeded(&self, address: IpAddr) {
        let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(record) = addresses.get_mut(&address) {
            record.failures = 0;
            record.last_failure = None;
            record.next_turn = None;
        }
    }

    fn handshake_ended(&self, address: IpAddr) {
        let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(record) = addresses.get_mut(&address) {
            record.handshakes = record.handshakes.saturating_sub(1);
            // An address with nothing to remember leaves the map, so it does not grow with every client ever seen.
            if record.handshakes == 0 && record.failures == 0 {
                addresses.remove(&address);
            }
        }
    }
}

/// The wait before the attempt after `failures` failures.
fn delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(FREE_FAILURES).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// A connection's handshake slot, given back when it logs in or closes.
#[derive(Debug)]
pub struct Handshake {
    gate: Arc<Gate>,
    address: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Handshake {
    fn drop(&mut self) {
        self.gate.handshake_ended(self.address);
    }
}

/// One connection's login: when it was accepted, its handshake slot until it logs in, its session slot after.
#[derive(Debug)]
pub struct Login {
    accepted: Instant,
    logged_in: AtomicBool,
    handshake: Mutex<Option<Handshake>>,
    session: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Login {
    /// The login of a connection accepted now.
    pub fn new(handshake: Handshake) -> Self {
        Self {
            accepted: Instant::now(),
            logged_in: AtomicBool::new(false),
            handshake: Mutex::new(Some(handshake)),
            session: Mutex::new(None),
        }
    }

    /// Whether the client has logged in.
    pub fn is_logged_in(&self) -> bool {
        self.logged_in.load(Ordering::Acquire)
    }

    /// Returns when `timeout` has passed since the connection was accepted without a login; never once logged in.
    pub async fn expired(&self, timeout: Duration) {
        tokio::time::sleep_until(tokio::time::Instant::from_std(self.accepted + timeout)).await;
        if self.is_logged_in() {
            std::future::pending::<()>().await;
        }
    }

    fn logged_in(&self, session: OwnedSemaphorePermit) {
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
        self.handshake.lock().unwrap_or_else(PoisonError::into_inner).take();
        self.logged_in.store(true, Ordering::Release);
    }
}

/// pgwire's SCRAM login behind the gate: the turn of a failing address, a session slot for the message that
/// completes the login, the outcome recorded.
pub struct GatedStartup<P> {
    inner: SASLAuthStartupHandler<P>,
    gate: Arc<Gate>,
    login: Arc<Login>,
}

impl<P> GatedStartup<P> {
    /// `inner` (one per connection) behind `gate`, for the connection of `login`.
    pub fn new(inner: SASLAuthStartupHandler<P>, gate: Arc<Gate>, login: Arc<Login>) -> Self {
        Self { inner, gate, login }
    }
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".to_owned(), code.to_owned(), message)))
}

#[async_trait::async_trait]
impl<P: ServerParameterProvider> StartupHandler for GatedStartup<P> {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let address = client.socket_addr().ip();
        if matches!(message, PgWireFrontendMessage::Startup(_)) {
            let budget = self.gate.login_timeout.saturating_sub(self.login.accepted.elapsed() + EXCHANGE_TIME);
            match self.gate.take_turn(address, Instant::now(), budget) {
                Turn::After(wait) if wait.is_zero() => {}
                Turn::After(wait) => {
                    tracing::info!(peer = %client.socket_addr(), ?wait, "login waits its turn after failed logins");
                    tokio::time::sleep(wait).await;
                }
                Turn::Refused(wait) => {
                    tracing::warn!(peer = %client.socket_addr(), "login refused: too many failed logins");
                    return Err(fatal(
                        "28000",
                        format!("too many failed logins from this address: try again in {} s", wait.as_secs().max(1)),
                    ));
                }
            }
        }
        // The message that may complete the login holds a session slot first: a full server says so before the
        // client is let in, and a socket that never logs in never holds one.
        let session = match &message {
            PgWireFrontendMessage::PasswordMessageFamily(_) if !self.login.is_logged_in() => {
                match Arc::clone(&self.gate.sessions).try_acquire_owned() {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        tracing::warn!(peer = %client.socket_addr(), "Postgres login refused: too many sessions");
                        return Err(fatal(
                            "53300",
                            format!(
                                "sorry, too many clients already: {} sessions are open (--pg-max-connections)",
                                self.gate.max_sessions
                            ),
                        ));
                    }
                }
            }
            _ => None,
        };
        let outcome = self.inner.on_startup(client, message).await;
        match &outcome {
            Ok(()) if matches!(client.state(), PgWireConnectionState::ReadyForQuery) && !self.login.is_logged_in() => {
                if let Some(session) = session {
                    self.login.logged_in(session);
                }
                self.gate.succeeded(address);
            }
            Err(PgWireError::InvalidPassword(_)) => self.gate.failed(address, Instant::now()),
            _ => {}
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> IpAddr {
        IpAddr::from([192, 0, 2, 7])
    }

    #[test]
    fn after_the_free_failures_each_attempt_waits_a_longer_turn() {
        let gate = Gate::new(4, Duration::from_secs(5));
        let start = Instant::now();
        let budget = Duration::from_secs(4);
        for _ in 0..FREE_FAILURES {
            assert_eq!(gate.take_turn(address(), start, budget), Turn::After(Duration::ZERO));
            gate.failed(address(), start);
        }
        // Turns are taken before the password is checked: attempts started at the same moment queue up.
        assert_eq!(gate.take_turn(address(), start, budget), Turn::After(Duration::ZERO));
        assert_eq!(gate.take_turn(address(), start, budget), Turn::After(FIRST_DELAY));
        assert_eq!(gate.take_turn(address(), start, budget), Turn::After(FIRST_DELAY * 2));
        gate.failed(address(), start);
        assert_eq!(gate.take_turn(address(), start, budget), Turn::After(FIRST_DELAY * 3));
        gate.failed(address(), start);
        gate.failed(address(), start);
        match gate.take_turn(address(), start, Duration::from_secs(1)) {
            Turn::Refused(wait) => assert!(wait > Duration::from_secs(1), "{wait:?}"),
            other => panic!("not refused: {other:?}"),
        }
        // Another address is not held up, and a success forgets the failures.
        assert_eq!(gate.take_turn(IpAddr::from([192, 0, 2, 8]), start, budget), Turn::After(Duration::ZERO));
        gate.succeeded(address());
        assert_eq!(gate.take_turn(address(), start, budget), Turn::After(Duration::ZERO));
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_while() {
        let gate = Gate::new(4, Duration::from_secs(5));
        let start = Instant::now();
        for _ in 0..10 {
            gate.failed(address(), start);
        }
        let later = start + FORGET_AFTER + Duration::from_secs(1);
        assert_eq!(gate.take_turn(address(), later, Duration::from_secs(4)), Turn::After(Duration::ZERO));
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        assert_eq!(delay(FREE_FAILURES), FIRST_DELAY);
        assert_eq!(delay(FREE_FAILURES + 1), FIRST_DELAY * 2);
        assert_eq!(delay(FREE_FAILURES + 50), MAX_DELAY);
    }

    #[test]
    fn handshakes_are_capped_per_address_and_given_back() {
        let gate = Arc::new(Gate::new(4, Duration::from_secs(5)));
        let held: Vec<Handshake> =
            (0..MAX_HANDSHAKES_PER_ADDRESS).map(|_| gate.start_handshake(address()).expect("slot")).collect();
        assert!(gate.start_handshake(address()).is_none(), "one address cannot take every slot");
        assert!(gate.start_handshake(IpAddr::from([192, 0, 2, 8])).is_some(), "another address still can");
        drop(held);
        assert!(gate.start_handshake(address()).is_some());
        assert!(gate.addresses.lock().expect("lock").get(&address()).is_none(), "nothing left to remember");
    }
}
