package streamkapmock

import (
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Health is GET /__mock/health: liveness and a summary of the state.
type Health struct {
	Status             string         `json:"status"`
	Version            string         `json:"version"`
	UptimeSeconds      float64        `json:"uptime_seconds"`
	Storage            Storage        `json:"storage"`
	Entities           map[string]int `json:"entities"`
	Now                string         `json:"now"`
	ClockOffsetSeconds float64        `json:"clock_offset_seconds"`
}

// Storage says where the mock keeps its state.
type Storage struct {
	Kind string  `json:"kind"` // "memory" or "file"
	Path *string `json:"path"`
}

// Health reports the mock's liveness (it needs no admin token).
func (m *Mock) Health() (Health, error) {
	var health Health
	return health, m.control("GET", "/health", nil, &health)
}

// ResetOptions narrow a reset.
type ResetOptions struct {
	// Tenant resets only this tenant's entities; empty resets everything (entities,
	// tenants made at run time, faults, journal, clock) back to the fixtures and the seed.
	Tenant string `json:"tenant,omitempty"`
	// RevokeTokens also logs out the access tokens issued so far.
	RevokeTokens bool `json:"revoke_tokens,omitempty"`
}

// Reset puts the mock back to its fixtures and start-up seed. Parallel tests should
// reset only their own tenant (ResetOptions.Tenant, or Tenant.Reset): a full reset
// drops every other test's entities and tenants too.
func (m *Mock) Reset(opts ...ResetOptions) error {
	var body ResetOptions
	if len(opts) > 0 {
		body = opts[0]
	}
	return m.control("POST", "/reset", body, nil)
}

// ---- seeds ---------------------------------------------------------------------

// SeedDocument is a seed: each entity is the API's create body plus "id" (an
// ObjectId; topics and kafka users are named instead) and optionally "tenant_id",
// "service_id" and timestamps.
type SeedDocument struct {
	TenantID     string           `json:"tenant_id,omitempty"`
	Tags         []map[string]any `json:"tags,omitempty"`
	Sources      []map[string]any `json:"sources,omitempty"`
	Destinations []map[string]any `json:"destinations,omitempty"`
	Transforms   []map[string]any `json:"transforms,omitempty"`
	Pipelines    []map[string]any `json:"pipelines,omitempty"`
	Topics       []map[string]any `json:"topics,omitempty"`
	KafkaUsers   []map[string]any `json:"kafka_users,omitempty"`
}

type seedResult struct {
	Created map[string]int `json:"created"`
}

// Seed creates a seed's entities now, by the API's rules, all or none; it answers
// how many it created per section.
func (m *Mock) Seed(doc SeedDocument) (map[string]int, error) {
	var result seedResult
	return result.Created, m.control("POST", "/seed", doc, &result)
}

// SeedFile creates the entities of a seed file (JSON, the --seed format).
func (m *Mock) SeedFile(path string) (map[string]int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var result seedResult
	return result.Created, m.control("POST", "/seed", json.RawMessage(raw), &result)
}

// SeedName creates the entities of a seed shipped with the mock, e.g. "provider-acceptance".
func (m *Mock) SeedName(name string) (map[string]int, error) {
	var result seedResult
	return result.Created, m.control("POST", "/seeds/"+url.PathEscape(name), nil, &result)
}

// ShippedSeeds lists the names SeedName and WithSeed take.
func (m *Mock) ShippedSeeds() ([]string, error) {
	return listed[string](m, "/seeds")
}

// ---- faults --------------------------------------------------------------------

// FaultMatch says which requests of the emulated API a fault applies to (all of them when empty).
type FaultMatch struct {
	Method       string `json:"method,omitempty"`
	Path         string `json:"path,omitempty"` // a path template matched whole: /sources/{id}
	PathRegex    string `json:"path_regex,omitempty"`
	Tenant       string `json:"tenant,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	BodyContains string `json:"body_contains,omitempty"`
}

// FaultAnswer is what a matching request gets: an error, a delay, or a dropped connection.
type FaultAnswer struct {
	Status  int               `json:"status,omitempty"`
	Detail  string            `json:"detail,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Delay   float64           `json:"delay,omitempty"` // seconds; alone, the request then goes through
	Drop    bool              `json:"drop,omitempty"`
}

// Fault is a rule to add: an answer (or a Preset's name) for the requests it matches.
type Fault struct {
	Match       FaultMatch  `json:"match"`
	Respond     FaultAnswer `json:"respond"`
	Preset      string      `json:"preset,omitempty"`      // a named error: see FaultPresets
	Times       int         `json:"times,omitempty"`       // fire this many times, then stop (0: always)
	After       int         `json:"after,omitempty"`       // let this many matching requests through first
	Probability *float64    `json:"probability,omitempty"` // fire on this share of matches
	Seed        *int64      `json:"seed,omitempty"`        // seed of the probability's draws
}

// FaultRule is a fault as the mock keeps it, with its counters.
type FaultRule struct {
	ID          string      `json:"id"`
	Preset      *string     `json:"preset"`
	Match       FaultMatch  `json:"match"`
	Respond     FaultAnswer `json:"respond"`
	Times       *int        `json:"times"`
	After       int         `json:"after"`
	Probability *float64    `json:"probability"`
	Seed        *int64      `json:"seed"`
	Matched     int         `json:"matched"`
	Hits        int         `json:"hits"`
	Active      bool        `json:"active"`
}

// Preset is a named fault, e.g. "rate_limited" (429) or "connection_dropped".
type Preset struct {
	Name        string            `json:"name"`
	Status      int               `json:"status"`
	Detail      string            `json:"detail"`
	Headers     map[string]string `json:"headers"`
	Drop        bool              `json:"drop"`
	Retryable   bool              `json:"retryable"` // the Terraform provider (3.x) retries on it
	Description string            `json:"description"`
}

// AddFault adds a fault rule.
func (m *Mock) AddFault(fault Fault) (FaultRule, error) {
	var rule FaultRule
	return rule, m.control("POST", "/faults", fault, &rule)
}

// AddPreset adds a rule answering the matching requests with a preset, times times (0: always).
func (m *Mock) AddPreset(name string, match FaultMatch, times int) (FaultRule, error) {
	return m.AddFault(Fault{Match: match, Preset: name, Times: times})
}

// Faults lists the fault rules with their hit counts.
func (m *Mock) Faults() ([]FaultRule, error) {
	return listed[FaultRule](m, "/faults")
}

// RemoveFault removes one fault rule.
func (m *Mock) RemoveFault(id string) error {
	return m.control("DELETE", "/faults/"+url.PathEscape(id), nil, nil)
}

// ClearFaults removes every fault rule.
func (m *Mock) ClearFaults() error { return m.control("DELETE", "/faults", nil, nil) }

// FaultPresets lists the named faults: every error the provider retries, and more.
func (m *Mock) FaultPresets() ([]Preset, error) {
	return listed[Preset](m, "/faults/presets")
}

// ---- the request journal -------------------------------------------------------

// Filter selects journal entries; empty fields match everything.
type Filter struct {
	Method    string
	Path      string // a path template matched whole: /sources/{id}
	PathRegex string
	Status    int
	ClientID  string
	Tenant    string
	Since     time.Time
}

func (f Filter) query(extra ...string) string {
	values := url.Values{}
	set := func(name, value string) {
		if value != "" {
			values.Set(name, value)
		}
	}
	set("method", f.Method)
	set("path", f.Path)
	set("path_regex", f.PathRegex)
	if f.Status != 0 {
		values.Set("status", strconv.Itoa(f.Status))
	}
	set("client_id", f.ClientID)
	set("tenant", f.Tenant)
	if !f.Since.IsZero() {
		values.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		values.Set(extra[i], extra[i+1])
	}
	if len(values) == 0 {
		return ""
	}
	return "?" + values.Encode()
}

// Request is one journal entry: a request to the emulated API and its answer (secrets masked).
type Request struct {
	Seq             int               `json:"seq"`
	Time            string            `json:"time"`
	RequestID       *string           `json:"request_id"`
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Query           string            `json:"query"`
	TenantID        *string           `json:"tenant_id"`
	ClientID        *string           `json:"client_id"`
	Status          *int              `json:"status"` // nil: the connection was dropped
	DurationMS      float64           `json:"duration_ms"`
	Fault           *string           `json:"fault"` // the id of the fault rule that answered
	RequestHeaders  map[string]string `json:"request_headers"`
	RequestBody     any               `json:"request_body"`
	ResponseHeaders map[string]string `json:"response_headers"`
	ResponseBody    any               `json:"response_body"`
}

// Requests lists the journal's entries, oldest first.
func (m *Mock) Requests(filter Filter) ([]Request, error) {
	return listed[Request](m, "/requests"+filter.query())
}

// ClearRequests empties the journal.
func (m *Mock) ClearRequests() error { return m.control("DELETE", "/requests", nil, nil) }

// Cassette is the journal's entries as a go-vcr v4 cassette (YAML), ready to save and replay.
func (m *Mock) Cassette(filter Filter) ([]byte, error) {
	return m.controlRaw("GET", "/requests"+filter.query("format", "cassette"), nil)
}

// ---- the clock and connector status -----------------------------------------------

// ClockState is the virtual clock: real time (or a fixed start, with an id seed) plus an offset.
type ClockState struct {
	Now           string  `json:"now"`
	EpochSeconds  float64 `json:"epoch_seconds"`
	OffsetSeconds float64 `json:"offset_seconds"`
}

// Clock reads the virtual clock.
func (m *Mock) Clock() (ClockState, error) {
	var state ClockState
	return state, m.control("GET", "/clock", nil, &state)
}

// AdvanceClock moves the virtual clock forward: status delays, delete grace, token expiry, jobs.
func (m *Mock) AdvanceClock(by time.Duration) (ClockState, error) {
	var state ClockState
	return state, m.control("POST", "/clock/advance", map[string]float64{"seconds": by.Seconds()}, &state)
}

// ForcedStatus is a connector status to force, e.g. {Status: "Broken", Trace: "..."}.
type ForcedStatus struct {
	Status string  `json:"status"`
	Trace  string  `json:"trace,omitempty"` // task trace shown while it lasts
	Then   string  `json:"then,omitempty"`  // the status it moves to After seconds later
	After  float64 `json:"after,omitempty"`
}

// ConnectorStatus is a source's or destination's status after SetStatus.
type ConnectorStatus struct {
	ID              string         `json:"id"`
	EntityType      string         `json:"entity_type"`
	ConnectorStatus string         `json:"connector_status"`
	TaskStatuses    map[string]any `json:"task_statuses"`
}

// SetStatus forces a source's or destination's status as if Kafka Connect had reported it.
func (m *Mock) SetStatus(id string, status ForcedStatus) (ConnectorStatus, error) {
	var result ConnectorStatus
	return result, m.control("PUT", "/connectors/"+url.PathEscape(id)+"/status", status, &result)
}

// ---- snapshots -----------------------------------------------------------------

// Snapshot describes a saved state.
type Snapshot struct {
	Name     string         `json:"name"`
	Created  string         `json:"created"`
	Entities map[string]int `json:"entities"`
}

// SaveSnapshot saves the whole state under a name (replacing one of that name).
func (m *Mock) SaveSnapshot(name string) (Snapshot, error) {
	var snapshot Snapshot
	return snapshot, m.control("POST", "/snapshots/"+url.PathEscape(name), nil, &snapshot)
}

// RestoreSnapshot puts the state saved under a name back.
func (m *Mock) RestoreSnapshot(name string) (Snapshot, error) {
	var snapshot Snapshot
	return snapshot, m.control("POST", "/snapshots/"+url.PathEscape(name)+"/restore", nil, &snapshot)
}

// Snapshots lists the saved snapshots.
func (m *Mock) Snapshots() ([]Snapshot, error) {
	return listed[Snapshot](m, "/snapshots")
}

// DeleteSnapshot deletes a snapshot.
func (m *Mock) DeleteSnapshot(name string) error {
	return m.control("DELETE", "/snapshots/"+url.PathEscape(name), nil, nil)
}

// ---- coverage ------------------------------------------------------------------

// Coverage is GET /__mock/coverage: which operations of the API the requests so far
// reached, as the mock reports it (decoded loosely: its shape may grow).
func (m *Mock) Coverage() (map[string]any, error) {
	var coverage map[string]any
	return coverage, m.control("GET", "/coverage", nil, &coverage)
}
