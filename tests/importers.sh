#!/bin/sh
# importers.sh -- facts from libvirt, mdevctl, lspci, devlink and Kubernetes
# (docs/facts.md), read through compatc from the real programs where there
# are some: libvirt's test driver (test:///FILE, no daemon) through the
# library's libvirt API and through virsh, mdevctl in a private mount
# namespace whose /etc/mdevctl.d is a temporary directory, lspci on this
# machine.  The same devices from every source give the same facts.
. "$(dirname "$0")/lib.sh"

D="$tests_dir/data/importers"
has() { command -v "$1" >/dev/null 2>&1; }

# The value of fact $2 in a `compatc facts` text output $1 (a file).
fact() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# One device's facts into $T/NAME.
facts_to() {
    _name=$1
    shift
    run "$COMPATC" facts "$@"
    cp "$OUT" "$T/$_name"
    expect_rc "facts $_name: $*" 0
}

# A policy for GVT-g mdev types: the same type as the source's.
cat >"$T/gvt-type.compat" <<'EOP'
POLICY:
    name = gvt-type
SELF:
    device_api = vfio-pci
    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}
COMPATIBLE:
    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}
    where m == n
EOP
printf 'device_api=vfio-pci\nmdev_type=i915-GVTg_V5_4\n' >"$T/gvt-src.kv"

# ---------------------------------------------------------------- libvirt
cp "$D/node.xml" "$T/node.xml"
URI="test://$T/node.xml"

facts_to lv-gpu.kv "libvirt:$D/node.xml#pci_0000_00_02_0"
expect_stdout_has "libvirt file: the GPU" "pci_id=8086591d"
run "$COMPATC" facts "libvirt:$D/node.xml"
expect_rc "libvirt file: an inventory" 0
expect_stdout_has "libvirt file: mdev types are devices" "[pci_0000_00_02_0/i915-GVTg_V5_4]"
expect_stdout_has "libvirt file: the mdev's device_api from its parent's type" "device_api=vfio-pci"
expect_stdout_has "libvirt file: unknown fields under libvirt." "libvirt.pci_express.link.speed=16"

if dc_have=$("$COMPATC" facts "libvirt+$URI:pci_0000_3b_00_3" 2>&1); then
    facts_to lv-vf.kv "libvirt+$URI:pci_0000_3b_00_3"
    expect_stdout_has "libvirt live: the VF's PF" "pf.address=0000:3b:00.0"
    expect_stdout_has "libvirt live: the PF's id" "pf.pci_id=15b3101d"
    expect_stdout_has "libvirt live: the VF's index" "vf_index=1"
    run "$COMPATC" facts --format=json "libvirt+$URI"
    expect_rc "libvirt live: every node device" 0
    expect_stdout_has "libvirt live: JSON list of {id, facts}" '{"id": "pci_0000_3b_00_3", "facts": {'
    expect_stdout_lacks "libvirt live: the host itself is not a device" '"id": "computer"'
    if has virsh; then
        # virsh, through the same driver, gives the XML the file importer reads
        virsh -q -c "$URI" nodedev-dumpxml pci_0000_3b_00_3 >"$T/vf.xml" 2>"$T/virsh.err"
        facts_to virsh-vf.kv "libvirt:$T/vf.xml"
        for n in address vendor device pci_id class pf.address iommu_group; do
            a=$(fact "$T/virsh-vf.kv" "$n")
            b=$(fact "$T/lv-vf.kv" "$n")
            [ -n "$a" ] && [ "$a" = "$b" ]
            expect_true "virsh nodedev-dumpxml and the API agree on $n ($a, $b)"
        done
    fi
    # match: the GPU's mdev types as targets (policies/gvt-share.compat)
    run "$COMPATC" match --policy "$T/gvt-type.compat" "$T/gvt-src.kv" "libvirt+$URI:pci_0000_00_02_0"
    expect_rc "match: libvirt's mdev types, one compatible" 0
    expect_stdout_has "match: the type to create" "pci_0000_00_02_0/i915-GVTg_V5_4 compatible"
    expect_stdout_has "match: the other type" "pci_0000_00_02_0/i915-GVTg_V5_8 incompatible"
    run "$COMPATC" facts "libvirt+$URI:pci_0000_99_00_0"
    expect_rc "libvirt live: an unknown node device" 2
    expect_stderr_has "libvirt live: it is named" "pci_0000_99_00_0: no such node device"
    run "$COMPATC" facts "libvirt+test://$T/missing.xml:pci_0000_00_02_0"
    expect_rc "libvirt live: a connection that fails" 2
    expect_stderr_has "libvirt live: the failing URI is named" "missing.xml: cannot connect"
else
    case $dc_have in *"built without libvirt"*) echo "SKIP: built without libvirt" ;;
    *) run false; expect_rc "libvirt live: $dc_have" 0 ;; esac
fi

# Bad libvirt XML: the element and line are named, exit 2.
printf '<device><name>x</name>\n<capability type="pci">\n' >"$T/bad1.xml"
run "$COMPATC" facts "libvirt:$T/bad1.xml"
expect_rc "libvirt: malformed XML" 2
expect_stderr_has "libvirt: malformed XML names the line" "bad1.xml:3: malformed XML"
printf '<device>\n<name>x</name>\n<capability type="warp_drive"/>\n</device>\n' >"$T/bad2.xml"
run "$COMPATC" facts "libvirt:$T/bad2.xml"
expect_rc "libvirt: unknown capability" 2
expect_stderr_has "libvirt: unknown capability named" "bad2.xml:3: <capability>: unknown capability type 'warp_drive'"
# Text that is not UTF-8: refused in one line of compatc's own, never a
# line printed by libxml2's converter (docs/security.md, finding 12).
printf '\074\000\000\000\020\143\145\076' >"$T/ucs4.xml"
printf '\377\376\074\101\076' >"$T/bom16.xml"
printf '<?xml version="1.0" encoding="SHIFT_JIS"?>\n<device><name>a\202\377\200</name></device>\n' >"$T/sjis.xml"
for f in ucs4 bom16 sjis; do
    run "$COMPATC" facts "libvirt:$T/$f.xml"
    expect_rc "libvirt: $f text refused" 2
    expect_stderr_starts "libvirt: $f text, nothing printed but the error" "compatc: $T/$f.xml:"
done
expect_stderr_has "libvirt: a declared encoding is not followed" "sjis.xml:2: malformed XML: Input is not proper UTF-8"
run "$COMPATC" facts "libvirt:$T/ucs4.xml"
expect_stderr_has "libvirt: UTF-32 named as not UTF-8" "ucs4.xml:1: malformed XML: not UTF-8"
sed '1s/^/<?xml version="1.0" encoding="UTF-16"?>/' "$D/node.xml" >"$T/label16.xml"
run "$COMPATC" facts "libvirt:$T/label16.xml#pci_0000_00_02_0"
expect_rc "libvirt: UTF-8 text labelled UTF-16 is read as UTF-8" 0
expect_stdout_has "libvirt: UTF-8 text labelled UTF-16, its facts" "pci_id=8086591d"
sed 's/HD Graphics P630/HD Graphics \xc3\xa9/' "$D/node.xml" >"$T/utf8.xml"
run "$COMPATC" facts "libvirt:$T/utf8.xml#pci_0000_00_02_0"
expect_stdout_has "libvirt: non-ASCII text escaped" 'libvirt.product_name="HD Graphics \\xc3\\xa9"'
run "$COMPATC" facts "libvirt:$D/node.xml#pci_0000_77_00_0"
expect_rc "libvirt: FILE#ID that is not there" 2

# ---------------------------------------------------------------- lspci
facts_to lspci-vf.kv "lspci:$D/vf.lspci#0000:3b:00.3"
expect_stdout_has "lspci: Module lines make a set" "lspci.module=mlx5_core,mlx5_vfio_pci"
expect_stdout_has "lspci: a vfio variant driver" "device_api=vfio-pci"
printf 'Class:\tEthernet controller [0200]\nVendor:\tX [15b3]\nDevice:\tY [101e]\n' >"$T/noslot.lspci"
run "$COMPATC" facts "lspci:$T/noslot.lspci"
expect_rc "lspci: a record without Slot" 2
expect_stderr_has "lspci: ... is named by its line" "noslot.lspci:1: a record without Slot"
{ cat "$D/vf.lspci"; echo; sed -n '/^Slot:\t0000:3b:00.3/,$p' "$D/vf.lspci"; } >"$T/dup.lspci"
run "$COMPATC" facts "lspci:$T/dup.lspci"
expect_rc "lspci: duplicate slots" 2
expect_stderr_has "lspci: duplicate id named" "duplicate id '0000:3b:00.3'"
if has lspci; then
    lspci -vmm -nn -D -k >"$T/host.lspci" 2>/dev/null
    run "$COMPATC" facts "lspci:$T/host.lspci"
    expect_rc "lspci on this machine" 0
    # the same functions through sysfs: every name both give is equal
    for slot in $(sed -n 's/^Slot:\t//p' "$T/host.lspci"); do
        [ -d "/sys/bus/pci/devices/$slot" ] || continue
        "$COMPATC" facts "lspci:$T/host.lspci#$slot" >"$T/a.kv" 2>&1
        "$COMPATC" facts "/sys/bus/pci/devices/$slot" >"$T/b.kv" 2>&1
        for n in address vendor device pci_id class revision subsystem_vendor \
                 subsystem_device driver device_api; do
            a=$(fact "$T/a.kv" "$n")
            b=$(fact "$T/b.kv" "$n")
            [ -z "$a" ] || [ -z "$b" ] || [ "$a" = "$b" ]
            expect_true "lspci and sysfs agree on $slot $n ($a, $b)"
        done
        [ -n "$(fact "$T/a.kv" pci_id)" ] && [ "$(fact "$T/a.kv" pci_id)" = "$(fact "$T/b.kv" pci_id)" ]
        expect_true "lspci and sysfs: $slot has one pci_id"
    done
    run sh -c "lspci -vmm -nn -D -k 2>/dev/null | '$COMPATC' facts lspci:- >/dev/null"
    expect_rc "lspci piped to compatc facts lspci:-" 0
fi

# ------------------------------------------- one device, every source
# A fake sysfs tree of the same NIC PF and VF as node.xml and vf.lspci.
S="$T/root/sys/bus/pci/devices"
mkdir -p "$S/0000:3b:00.0" "$S/0000:3b:00.2" "$S/0000:3b:00.3" "$T/root/sys/bus/pci/drivers/mlx5_core" \
    "$T/root/sys/bus/pci/drivers/mlx5_vfio_pci"
for f in 0 3; do
    d="$S/0000:3b:00.$f"
    echo 0x15b3 >"$d/vendor"; echo 0x0016 >"$d/subsystem_device"; echo 0x15b3 >"$d/subsystem_vendor"
    echo 0x020000 >"$d/class"; echo 0x00 >"$d/revision"
done
echo 0x101d >"$S/0000:3b:00.0/device"
echo 0x101e >"$S/0000:3b:00.3/device"
ln -s ../../drivers/mlx5_core "$S/0000:3b:00.0/driver"
ln -s ../../drivers/mlx5_vfio_pci "$S/0000:3b:00.3/driver"
ln -s ../0000:3b:00.0 "$S/0000:3b:00.3/physfn"
ln -s ../0000:3b:00.2 "$S/0000:3b:00.0/virtfn0"
ln -s ../0000:3b:00.3 "$S/0000:3b:00.0/virtfn1"
mkdir -p "$S/0000:3b:00.0/qat_rl"
chmod 000 "$S/0000:3b:00.0/qat_rl"
facts_to sysfs-vf.kv "$S/0000:3b:00.3"
expect_stdout_has "sysfs: physfn gives pf.pci_id" "pf.pci_id=15b3101d"
expect_stdout_has "sysfs: virtfnN gives vf_index" "vf_index=1"
expect_stdout_has "sysfs: the PF's driver" "pf.driver=mlx5_core"
for n in address vendor device pci_id class revision subsystem_vendor subsystem_device \
         driver device_api pf.address pf.pci_id vf_index; do
    s=$(fact "$T/sysfs-vf.kv" "$n")
    l=$(fact "$T/lspci-vf.kv" "$n")
    v=$(fact "$T/lv-vf.kv" "$n")
    ok=0
    [ -n "$s" ] || ok=1
    for x in "$l" "$v"; do [ -z "$x" ] || [ "$x" = "$s" ] || ok=1; done
    (exit $ok)
    expect_true "one VF, three sources: $n (sysfs $s, lspci $l, libvirt $v)"
done
# a directory that is not one device is read as a directory of devices;
# an entry that is not a device directory is named as such, with why
D2="$T/root/notadevice"
mkdir -p "$D2"
echo 0x15b3 >"$D2/vendor"
run "$COMPATC" facts "sysfs:$D2"
expect_rc "sysfs: a half device directory is an error" 2
expect_stderr_has "sysfs: the stray file is named" "$D2/vendor: not a device directory"
expect_stderr_has "sysfs: why it was read as a list" "holds neither vendor and device"
# where a source has the name, it must: not a test that passes empty
[ -n "$(fact "$T/lspci-vf.kv" revision)" ] && [ -n "$(fact "$T/lv-vf.kv" vf_index)" ] || [ ! -f "$T/lv-vf.kv" ]
expect_true "lspci has revision, libvirt has vf_index"

# ---------------------------------------------------------------- devlink
run "$COMPATC" facts "devlink:$D/devlink.json"
expect_rc "devlink: info and ports" 0
expect_stdout_has "devlink: fixed version by its name" "fw.psid=MT_0000000359"
expect_stdout_has "devlink: stored versions prefixed" "stored.fw.version=22.36.1010"
facts_to devlink-vf.kv "devlink:$D/devlink.json#pci/0000:3b:00.0/65538"
expect_stdout_has "devlink: migratable" "migratable=true"
expect_stdout_has "devlink: the PF's firmware merged into its VF" "fw.version=22.36.1010"
expect_stdout_has "devlink: vfnum is vf_index" "vf_index=1"
# policies/mlx5-vf reads devlink's migratable as a bool: a VF's facts from
# sysfs and devlink together, checked against the shipped target
for m in enable:0 disable:1; do
    cat >"$T/cx7.json" <<EOJ
{"info": {"pci/0000:3b:00.0": {"driver": "mlx5_core", "versions": {
   "fixed": {"fw.psid": "MT_0000000838"}, "running": {"fw.version": "28.41.1000"}}}},
 "port": {"pci/0000:3b:00.0/65538": {"flavour": "pcivf", "vfnum": 1,
   "function": {"migratable": "${m%:*}"}}}}
EOJ
    "$COMPATC" facts "devlink:$T/cx7.json#pci/0000:3b:00.0/65538" >"$T/cx7-devlink.kv"
    grep -E '^(device_api|driver|pci_id)=' "$T/sysfs-vf.kv" | cat - "$T/cx7-devlink.kv" \
        | grep -Ev '^(vf_index|pf\.address)=' >"$T/cx7-src.kv"
    run "$COMPATC" check --explain --policy "$top_srcdir/policies/mlx5-vf.compat" "$T/cx7-src.kv" \
        "$top_srcdir/policies/mlx5-vf-target.kv"
    expect_rc "devlink + sysfs, mlx5-vf: migratable ${m%:*}" "${m#*:}"
done
expect_stdout_has "mlx5-vf names the migratable rule" "migratable"
printf '{"info": {"pci/0000:3b:00.0": {"versions": {"flashed": {}}}}}' >"$T/bad.json"
run "$COMPATC" facts "devlink:$T/bad.json"
expect_rc "devlink: unknown version group" 2
expect_stderr_has "devlink: the group is named" "unknown group 'flashed'"

# ---------------------------------------------------------------- DRA
run "$COMPATC" facts "dra:$D/slice.yaml"
expect_rc "dra: a ResourceSlice" 0
expect_stdout_has "dra: id POOL/DEVICE" "[node-1/gpu-0]"
expect_stdout_has "dra: the driver's domain dropped" "uuid=gpu-18db0e85"
expect_stdout_has "dra: another domain kept" "resource.kubernetes.io.pcieRoot=pci0000:00"
expect_stdout_has "dra: capacity" "capacity.memory=40Gi"
sed 's/index: {int: 1}/index: {float: 1.5}/' "$D/slice.yaml" >"$T/bad.yaml"
run "$COMPATC" facts "dra:$T/bad.yaml"
expect_rc "dra: an attribute of no DRA type" 2
expect_stderr_has "dra: named by line" "bad.yaml:29:"
run "$COMPATC" facts "$D/slice.yaml"
expect_stdout_has "dra: a ResourceSlice detected by content" "[node-1/gpu-1]"

# ---------------------------------------------------------------- mdevctl
if has mdevctl && has unshare && unshare -m true 2>/dev/null; then
    C="$T/mdevctl.d"
    mkdir -p "$C/scripts.d/callouts" "$C/scripts.d/notifiers"
    cat >"$T/mdevctl.sh" <<EOS
set -e
mount --bind "$C" /etc/mdevctl.d
U=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
mdevctl define -u \$U -p 0000:00:02.0 -t i915-GVTg_V5_4
mdevctl modify -u \$U --addattr=assign_adapter --value=5
mdevctl modify -u \$U --addattr=assign_adapter --value=6
mdevctl define -u 5c0a7d7e-0000-4000-8000-00000000000a -p 0000:00:02.0 -t i915-GVTg_V5_8
mdevctl list -d --dumpjson >"$T/list.json"
# mdevctl types reads /sys/class/mdev_bus: a fake one, in this namespace only
mount -t tmpfs none /sys/class
mkdir -p /sys/class/mdev_bus "$T/gpu/mdev_supported_types/i915-GVTg_V5_4"
t="$T/gpu/mdev_supported_types/i915-GVTg_V5_4"
echo 2 >"\$t/available_instances"; echo vfio-pci >"\$t/device_api"; echo GVTg_V5_4 >"\$t/name"
printf 'low_gm_size: 128MB\nhigh_gm_size: 512MB\n' >"\$t/description"
ln -s "$T/gpu" /sys/class/mdev_bus/0000:00:02.0
mdevctl types --dumpjson >"$T/types.json"
EOS
    run unshare -m sh "$T/mdevctl.sh"
    expect_rc "mdevctl: defined and listed in a private namespace" 0
    [ -z "$(ls /etc/mdevctl.d/0000:00:02.0 2>/dev/null | grep 83b8f4f2)" ]
    expect_true "mdevctl: the host's configuration untouched"
    run "$COMPATC" facts "mdevctl:$T/list.json"
    expect_rc "mdevctl list --dumpjson" 0
    expect_stdout_has "mdevctl: a repeated attr is a set" "attr.assign_adapter=5,6"
    expect_stdout_has "mdevctl: the parent" "parent=0000:00:02.0"
    run "$COMPATC" facts "mdevctl:$T/types.json"
    expect_rc "mdevctl types --dumpjson" 0
    expect_stdout_has "mdevctl: types by PARENT/TYPE" "[0000:00:02.0/i915-GVTg_V5_4]"
    expect_stdout_has "mdevctl: available instances" "available_instances=2"
    run "$COMPATC" facts "mdevctl:$C/0000:00:02.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
    expect_rc "mdevctl: one device's config file" 0
    expect_stdout_has "mdevctl: its id from the file name" "[83b8f4f2-509f-382f-3c1e-e6bfe0fa1001]"
    run "$COMPATC" match --policy "$T/gvt-type.compat" "$T/gvt-src.kv" "mdevctl:$T/types.json"
    expect_rc "match: mdevctl's types as targets" 0
    expect_stdout_has "match: mdevctl's type to create" "0000:00:02.0/i915-GVTg_V5_4 compatible"
    printf '[{"0000:00:02.0": [{"i915-GVTg_V5_4": {"device_api": "vfio-pci"' >"$T/trunc.json"
    run "$COMPATC" facts "mdevctl:$T/trunc.json"
    expect_rc "mdevctl: malformed JSON" 2
    expect_stderr_has "mdevctl: malformed JSON named" "trunc.json:"
else
    echo "SKIP: mdevctl or a private mount namespace is not available"
fi

finish
