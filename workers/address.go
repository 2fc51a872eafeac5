package workers

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// notGlobal lists what the IANA special-purpose address registries
// (IPv4: RFC 6890 and its updates; IPv6 likewise) mark as not globally
// reachable, plus multicast, reserved and deprecated blocks. A few blocks
// the registries mark globally reachable but which are anycast service
// addresses (192.0.0.9, 192.0.0.10, parts of 2001::/23) are refused too:
// no reply receiver lives there.
var notGlobal = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		// IPv4
		"0.0.0.0/8",          // "this network"
		"10.0.0.0/8",         // private
		"100.64.0.0/10",      // shared address space (carrier-grade NAT)
		"127.0.0.0/8",        // loopback
		"169.254.0.0/16",     // link-local
		"172.16.0.0/12",      // private
		"192.0.0.0/24",       // IETF protocol assignments (incl. NAT64 discovery, DS-Lite)
		"192.0.2.0/24",       // TEST-NET-1
		"192.88.99.0/24",     // 6to4 relay anycast (deprecated)
		"192.168.0.0/16",     // private
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // TEST-NET-2
		"203.0.113.0/24",     // TEST-NET-3
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved for future use
		"255.255.255.255/32", // limited broadcast
		// IPv6 (beyond "outside 2000::/3", checked in globalUnicast)
		"64:ff9b:1::/48", // local-use IPv4/IPv6 translation
		"2001::/23",      // IETF protocol assignments, Teredo 2001::/32 among them
		"2001:db8::/32",  // documentation
		"3fff::/20",      // documentation
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	global6   = netip.MustParsePrefix("2000::/3")
)

// globalUnicast reports whether ip is a globally routable unicast address.
// An IPv6 address that embeds an IPv4 one (IPv4-mapped, NAT64 64:ff9b::/96,
// 6to4) is judged by the IPv4 address it leads to; IPv4-compatible
// (::/96, deprecated) and Teredo addresses are refused outright.
func globalUnicast(ip netip.Addr) bool {
	ip = ip.WithZone("")
	if !ip.IsValid() {
		return false
	}
	if ip.Is4In6() {
		return globalUnicast(ip.Unmap())
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return globalUnicast(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			if !globalUnicast(netip.AddrFrom4([4]byte(b[2:6]))) {
				return false
			}
		case !global6.Contains(ip):
			// Everything outside 2000::/3 is reserved, loopback, ULA,
			// link-local, multicast, IPv4-compatible or unspecified.
			return false
		}
	}
	for _, p := range notGlobal {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// publicOnly refuses, at connect time (so DNS rebinding cannot get past
// it), any address that is not a globally routable unicast one.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if !globalUnicast(ip) {
		return fmt.Errorf("%w (%s)", errPrivateAddress, ip)
	}
	return nil
}
