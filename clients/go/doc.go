// Package streamkapmock runs streamkap-mock, a local emulator of the Streamkap
// REST API, for Go tests (the Terraform provider's acceptance tests), and drives
// its control plane (/__mock): reset, seeds, faults, the request journal, the
// go-vcr cassette, the virtual clock, forced connector status, snapshots and
// tenants.
//
// It uses the standard library only, so it adds nothing to a module's graph.
//
//	func TestAccSource(t *testing.T) {
//		mock := streamkapmock.Start(t)  // STREAMKAP_MOCK_URL, or streamkap-mock from PATH
//		tenant := mock.Tenant(t)        // a tenant of its own: parallel tests never collide
//		tenant.Setenv(t)                // STREAMKAP_HOST, STREAMKAP_CLIENT_ID, STREAMKAP_SECRET
//		...
//	}
//
// Start attaches to the mock at STREAMKAP_MOCK_URL when it is set (a CI
// service container); otherwise it runs `streamkap-mock serve --port 0 --db
// :memory:` from PATH and stops it when the test ends. Main does the same once
// for a whole test binary.
package streamkapmock
