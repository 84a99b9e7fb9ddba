package cbc

// fuzz_test.go -- Go's fuzzing on the loader and on checks (`go test
// -fuzz`; docs/security.md has the campaigns' figures).  Seeds: the .cbc
// corpus of the C fuzzer, and the shipped policies compiled by compatc when
// one is at hand.  Nothing may panic; a policy that loads must check any
// facts, and save-free invariants hold (a compatible result names a block,
// an incompatible one has a reason per block).

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seedCBC(f *testing.F) {
	files, _ := filepath.Glob("../../../fuzz/corpus/fuzz_cbc/*")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}

// fixedCRC is data with its checksum recomputed, so that mutations reach
// the records and the verifier.
func fixedCRC(data []byte) []byte {
	d := append([]byte(nil), data...)
	if len(d) >= 16 {
		c := crc32.ChecksumIEEE(d[:12])
		c = crc32.Update(c, crc32.IEEETable, d[16:])
		binary.LittleEndian.PutUint32(d[12:], c)
	}
	return d
}

var fuzzDevices = []map[string]string{
	{"device_type": "pci", "device_id": "8086591d", "mdev_type": "i915-GVTg_V5_2",
		"aggregator": "1", "pv_mode": "none+ppgtt+context", "interface_version": "3"},
	{"device_type": "pci", "device_id": "8086591d", "mdev_type": "i915-GVTg_V5_4",
		"aggregator": "2", "interface_version": "1"},
	{"software_version": "2.1.1", "device_api": "vfio-pci", "type": "nvidia-35",
		"pci_id": "10de1eb8", "features": "a,b,c", "enabled": "yes", "x": "1", "y": "2",
		"z": "-3", "s": ""},
	{"device_api": "vfio-ccw", "subchannel_type": "0x3", "software_version": "1.0.0-rc.1+b7",
		"aggregator": "8", "mdev_type": "i915-GVTg_V5_8"},
}

// checkAll runs every pair of devices and reads every part of the results.
func checkAll(t *testing.T, pol *Policy, devices []map[string]string) {
	var prepared []*Prepared
	for _, m := range devices {
		d, err := pol.Prepare(m)
		if err != nil {
			continue
		}
		prepared = append(prepared, d)
	}
	r := pol.NewResult()
	for _, s := range prepared {
		for _, tg := range prepared {
			r.Check(s, tg)
			o := r.Outcome()
			switch o.Verdict {
			case Compatible:
				if o.Block < 0 || o.Block >= pol.Blocks() || len(o.Reasons) != 0 {
					t.Fatalf("compatible with block %d of %d, %d reasons", o.Block, pol.Blocks(),
						len(o.Reasons))
				}
			case Incompatible:
				if o.Block != -1 || len(o.Reasons) != pol.Blocks() || len(o.Bindings) != 0 {
					t.Fatalf("incompatible: block %d, %d reasons for %d blocks", o.Block,
						len(o.Reasons), pol.Blocks())
				}
			case TargetMismatch:
				if len(o.Reasons) != 1 || o.Reasons[0].Block != -1 {
					t.Fatalf("target mismatch with %d reasons", len(o.Reasons))
				}
			default:
				t.Fatalf("verdict %d", o.Verdict)
			}
			_ = o.JSON()
		}
	}
	if len(prepared) > 0 {
		v, b := make([]Verdict, len(prepared)), make([]int, len(prepared))
		pol.CheckBatch(prepared[0], prepared, v, b)
	}
}

// FuzzLoad: any bytes load cleanly (and then check any facts) or are
// refused with an *Error of kind ErrBytecode or ErrLimit naming the file.
func FuzzLoad(f *testing.F) {
	seedCBC(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range [][]byte{data, fixedCRC(data)} {
			pol, err := Load("f.cbc", d)
			if err != nil {
				e, ok := err.(*Error)
				if !ok || (e.Kind != ErrBytecode && e.Kind != ErrLimit) ||
					!strings.HasPrefix(e.Msg, "f.cbc: ") {
					t.Fatalf("bad error %#v", err)
				}
				continue
			}
			checkAll(t, pol, fuzzDevices)
		}
	})
}

// FuzzCheck: a shipped policy (or the corpus' first that loads) against
// facts made of the input: lines name=value, two devices split by "%%".
func FuzzCheck(f *testing.F) {
	var policies []*Policy
	files, _ := filepath.Glob("../../../fuzz/corpus/fuzz_cbc/*")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		if pol, err := Load(file, fixedCRC(data)); err == nil {
			policies = append(policies, pol)
		}
	}
	if len(policies) == 0 {
		f.Skip("no .cbc in the corpus loads")
	}
	f.Add(uint8(0), "device_type=pci\ndevice_id=8086591d\nmdev_type=i915-GVTg_V5_4\n"+
		"aggregator=2\ninterface_version=1\n%%\ndevice_type=pci\ndevice_id=8086591d\n"+
		"mdev_type=i915-GVTg_V5_2\naggregator=1\ninterface_version=3")
	f.Add(uint8(1), "software_version=2.1.1\n%%\nsoftware_version=2.0.0-rc.1")
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		pol := policies[int(which)%len(policies)]
		var devices []map[string]string
		for _, part := range strings.Split(text, "%%") {
			m := map[string]string{}
			for _, line := range strings.Split(part, "\n") {
				if k, v, ok := strings.Cut(line, "="); ok {
					m[strings.TrimSpace(k)] = v
				}
			}
			devices = append(devices, m)
		}
		checkAll(t, pol, append(devices, fuzzDevices...))
	})
}
