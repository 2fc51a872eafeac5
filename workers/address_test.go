package workers

import (
	"errors"
	"net/netip"
	"testing"
)

// The reply-URL address filter: every special-purpose block of the IANA
// IPv4 and IPv6 registries, and IPv4 addresses embedded in IPv6 forms.
// go test ./workers -run TestGlobalUnicast -v prints the table.
func TestGlobalUnicast(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		addr    string
		allowed bool
	}{
		// IPv4: public
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"203.0.114.1", true},
		{"100.128.0.1", true},
		{"172.32.0.1", true},
		{"192.31.196.1", true}, // AS112, globally reachable
		{"198.20.0.1", true},
		// IPv4: special-purpose
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.0.0.1", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"169.254.169.254", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.0.0.1", false},
		{"192.0.0.170", false},
		{"192.0.2.1", false},
		{"192.88.99.1", false},
		{"192.168.1.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		// IPv6: public
		{"2606:4700:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"2a00:1450:4001::1", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},  // 6to4 of 8.8.8.8
		{"::ffff:8.8.8.8", true},   // IPv4-mapped 8.8.8.8
		{"2620:4f:8000::1", true},  // AS112 direct delegation
		// IPv6: special-purpose
		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:100.64.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false}, // IPv4-compatible (deprecated)
		{"::8.8.8.8", false},
		{"64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false},
		{"64:ff9b::c0a8:101", false},
		{"64:ff9b:1::808:808", false}, // local-use translation
		{"100::1", false},             // discard-only
		{"2001::1", false},            // Teredo
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false},
		{"2001:2::1", false},  // benchmarking
		{"2001:10::1", false}, // ORCHID (deprecated)
		{"2001:db8::1", false},
		{"3fff::1", false},
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"2002:a00:1::1", false},  // 6to4 of 10.0.0.1
		{"2002:c0a8:101::1", false},
		{"2002:a9fe:a9fe::1", false},
		{"5f00::1", false}, // SRv6 SIDs
		{"fc00::1", false},
		{"fd12:3456:789a::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"ff05::1:3", false},
	} {
		ip := netip.MustParseAddr(c.addr)
		got := globalUnicast(ip)
		verdict := map[bool]string{true: "allowed", false: "refused"}
		t.Logf("%-40s %s", c.addr, verdict[got])
		if got != c.allowed {
			t.Errorf("%s: %s, want %s", c.addr, verdict[got], verdict[c.allowed])
		}
		// The dial-time check agrees and calls a refusal final.
		err := publicOnly("tcp", netip.AddrPortFrom(ip, 443).String(), nil)
		if (err == nil) != c.allowed || (err != nil && !errors.Is(err, errPrivateAddress)) {
			t.Errorf("publicOnly(%s) = %v", c.addr, err)
		}
	}
}
