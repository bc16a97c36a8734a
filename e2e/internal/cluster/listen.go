package cluster

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Listening returns, for each running server, the TCP addresses it listens
// on ("127.0.0.1:6443"), read from /proc (Linux): the sockets the
// process holds, matched by inode with the listening sockets of
// /proc/net/tcp and tcp6.
func (c *Cluster) Listening() (map[string][]string, error) {
	listen := map[string]string{} // socket inode -> address
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := readListening(f, listen); err != nil {
			return nil, err
		}
	}
	out := map[string][]string{}
	for _, p := range c.procs {
		if p.exited() != nil {
			continue
		}
		fdDir := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			return nil, err
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue // closed meanwhile
			}
			inode, ok := strings.CutPrefix(target, "socket:[")
			if !ok {
				continue
			}
			if addr, ok := listen[strings.TrimSuffix(inode, "]")]; ok {
				out[p.name] = append(out[p.name], addr)
			}
		}
	}
	return out, nil
}

// readListening adds the listening sockets (state 0A) of a /proc/net/tcp
// style table to listen, by inode.
func readListening(file string, listen map[string]string) error {
	f, err := os.Open(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" {
			continue
		}
		addr, err := procAddr(fields[1])
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		listen[fields[9]] = addr
	}
	return sc.Err()
}

// procAddr decodes "0100007F:1F90" (the address's 32-bit words in host
// byte order, little-endian here, then the port in hex) to "127.0.0.1:8080".
func procAddr(s string) (string, error) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return "", fmt.Errorf("bad address %q", s)
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", fmt.Errorf("bad address %q", s)
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return "", fmt.Errorf("bad port %q", s)
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10)), nil
}
