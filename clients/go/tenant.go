package streamkapmock

import (
	"net/url"
	"testing"
)

// The longest tenant name the mock takes.
const maxTenantName = 200

// Credential is a client id and, right after the tenant was created, its secret.
type Credential struct {
	ClientID    string   `json:"client_id"`
	Roles       []string `json:"roles"` // role keys: "admin", "read_only", ...
	Description string   `json:"description"`
	Secret      string   `json:"secret,omitempty"`
}

// TenantInfo describes a tenant, as GET /__mock/tenants lists it.
type TenantInfo struct {
	ID          string       `json:"tenant_id"`
	Name        string       `json:"name"`
	SubID       string       `json:"sub_id"`
	ServiceID   string       `json:"service_id"`
	ServiceIDs  []string     `json:"service_ids"`
	Fixture     bool         `json:"fixture"` // from fixtures/tenants.json: cannot be deleted
	Credentials []Credential `json:"credentials"`
}

// Tenant is a tenant created at run time: nobody else sees its entities, so tests that
// each have one can run in parallel and create the same names.
type Tenant struct {
	TenantInfo
	// Admin and ReadOnly are its two credentials, with their secrets.
	Admin, ReadOnly Credential

	mock *Mock
}

// Tenant creates a tenant for the test and deletes it, with everything it owns, when the test ends.
func (m *Mock) Tenant(t testing.TB) *Tenant {
	t.Helper()
	name := t.Name()
	if len(name) > maxTenantName { // the end of a long subtest's name says the most
		name = name[len(name)-maxTenantName:]
	}
	tenant, err := m.CreateTenant(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.DeleteTenant(tenant.ID); err != nil && !isStatus(err, 404) { // a full reset dropped it
			t.Error(err)
		}
	})
	return tenant
}

// CreateTenant creates a tenant with one service, an admin and a read-only credential.
func (m *Mock) CreateTenant(name string) (*Tenant, error) {
	body := map[string]string{}
	if name != "" {
		body["name"] = name
	}
	tenant := &Tenant{mock: m}
	if err := m.control("POST", "/tenants", body, &tenant.TenantInfo); err != nil {
		return nil, err
	}
	for _, credential := range tenant.Credentials {
		switch credential.Roles[0] {
		case "admin":
			tenant.Admin = credential
		case "read_only":
			tenant.ReadOnly = credential
		}
	}
	return tenant, nil
}

// Tenants lists the fixture tenants and the ones created at run time.
func (m *Mock) Tenants() ([]TenantInfo, error) {
	return listed[TenantInfo](m, "/tenants")
}

// DeleteTenant drops a tenant created at run time with everything it owns.
func (m *Mock) DeleteTenant(id string) error {
	return m.control("DELETE", "/tenants/"+url.PathEscape(id), nil, nil)
}

// Env is what the Terraform provider reads to reach the mock as the tenant's admin.
func (tn *Tenant) Env() map[string]string {
	return env(tn.mock.URL, tn.Admin.ClientID, tn.Admin.Secret)
}

// Setenv sets Env() for a test that does not run in parallel.
func (tn *Tenant) Setenv(t testing.TB) { setenv(t, tn.Env()) }

// Reset drops the tenant's entities (it keeps the tenant and its credentials).
func (tn *Tenant) Reset() error { return tn.mock.Reset(ResetOptions{Tenant: tn.ID}) }

// Client is an API client logged in as the tenant's admin.
func (tn *Tenant) Client() *Client { return tn.mock.Client(tn.Admin.ClientID, tn.Admin.Secret) }

// ReadOnlyClient is an API client logged in as the tenant's read-only credential.
func (tn *Tenant) ReadOnlyClient() *Client {
	return tn.mock.Client(tn.ReadOnly.ClientID, tn.ReadOnly.Secret)
}

// Requests lists the journal's entries of this tenant (Filter.Tenant is set for you).
func (tn *Tenant) Requests(filter Filter) ([]Request, error) {
	filter.Tenant = tn.ID
	return tn.mock.Requests(filter)
}

func isStatus(err error, status int) bool {
	apiErr, ok := err.(*Error)
	return ok && apiErr.Status == status
}
