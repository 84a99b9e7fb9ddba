#!/bin/sh
# examples.sh -- the main job of devcompat on the shipped policies and
# facts: lint every policy, then ask the questions an operator asks.
#   sh policies/examples.sh [PATH/TO/compatc]
# Exits non-zero if a policy does not lint clean or an answer is not the
# documented one.
set -u
C=${1:-compatc}
case $C in */*) C=$(cd "$(dirname "$C")" && pwd)/$(basename "$C") ;; esac
cd "$(dirname "$0")" || exit 2
status=0

say() { printf '\n$ compatc %s\n' "$*"; }
# expect STATUS ARGS...: run compatc, show its output, check its exit status
expect() {
    want=$1
    shift
    say "$@"
    "$C" "$@"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "!! exit status $rc, expected $want"
        status=1
    fi
}

expect 0 lint --werror ./*.compat self-describing/uuid1.txt self-describing/uuid2.txt

echo
echo "# GVT-g: a half-GPU source (V5_2 x1) may move to a V5_4 x2 target: the same share"
expect 0 check --explain --policy gvt-share.compat gvt-share-src-half.kv gvt-share-target.kv
echo "# ...but a whole-GPU source (V5_1) may not: 1/1 of the GPU is not 2/4"
expect 1 check --explain --policy gvt-share.compat gvt-share-src-whole.kv gvt-share-target.kv
echo "# the policy directory picks the target's policy by its SELF block"
expect 0 check --json --policy-dir . gvt-share-src-half.kv gvt-share-target.kv

echo
echo "# The upstream versioning rule, both directions"
expect 0 check --policy versioning.compat versioning-2.0.1.kv versioning-2.1.1.kv
expect 1 check --explain --policy versioning.compat versioning-2.1.1.kv versioning-2.0.1.kv

echo
echo "# vfio-ccw subchannels, and a device model with a memory parameter"
expect 0 check --explain --policy vfio-ccw.compat vfio-ccw-src-ok.kv vfio-ccw-target.kv
expect 1 check --explain --policy vfio-ccw.compat vfio-ccw-src-ctc.kv vfio-ccw-target.kv
expect 0 check --explain --policy device-model.compat device-model-src-4gb.kv device-model-target.kv
expect 1 check --explain --policy device-model.compat device-model-src-16gb.kv device-model-target.kv

echo
echo "# HiSilicon accelerator VFs (hisi_acc_vfio_pci): the destination compares its"
echo "# queue pairs, derived here from its PF's assignment (the last of 5 VFs: 156)"
expect 0 check --explain --policy hisi-acc-vf.compat hisi-acc-vf-src-ok.kv hisi-acc-vf-target.kv
echo "# ...a VF holding 153 is refused, as vf_qm_check_match would refuse it mid-migration"
expect 1 check --explain --policy hisi-acc-vf.compat hisi-acc-vf-src-qp.kv hisi-acc-vf-target.kv

echo
echo "# NVIDIA vGPU: an A40-4Q guest does not fit an A40-8Q vGPU (the directory picks the policy)"
expect 1 check --explain --policy-dir . nvidia-vgpu-src-type.kv nvidia-vgpu-target.kv
echo "# ...so which vGPU should be created for it, and on which host?"
expect 0 targets --policy nvidia-vgpu.compat nvidia-vgpu-src-type.kv

echo
echo "# Self-describing devices (upstream's UUID1/UUID2 example): the target's text is the policy"
expect 0 check --json self-describing/uuid2.txt self-describing/uuid1.txt
expect 1 check --explain self-describing/uuid1.txt self-describing/uuid2.txt

echo
echo "# Facts where management software has them: libvirt's node devices (virsh"
echo "# nodedev-dumpxml; libvirt+URI:NODEDEV reads a live connection), a NIC VF with"
echo "# its PF's facts, in the names sysfs gives (tests/data/importers/node.xml)"
expect 0 facts "libvirt:../tests/data/importers/node.xml#pci_0000_3b_00_3"
echo "# ...and the mdev types mdevctl lists (mdevctl types --dumpjson): the devices"
echo "# 'match' and 'targets' choose among when asked which mdev to create"
expect 0 facts --format=json "mdevctl:../tests/data/importers/mdevctl-types.json"

echo
echo "# One source against a fleet of GVT-g devices"
expect 0 match --policy gvt-share.compat gvt-share-src-half.kv gvt-share-fleet.yaml

echo
echo "# Which target should be created for this source?"
expect 0 targets --policy gvt-share.compat gvt-share-src-half.kv

echo
echo "# The vendor's test cases"
for cases in *.cases.yaml; do
    expect 0 test "${cases%.cases.yaml}.compat" "$cases"
done

echo
if [ "$status" -eq 0 ]; then
    echo "All examples gave their documented answers."
else
    echo "Some examples did not give their documented answers (see '!!' above)."
fi
exit "$status"
