#!/usr/bin/python3
"""The dbus-python baseline of the benchmark (npm run bench).

What a Python REST server (phosphor-rest-server) pays for `GET <root>/enumerate`:
the same bus work as the gateway's enumerate (src/bmc/enumerate.ts), done with
Debian's python3-dbus, then the sorted, indented JSON text of the answer.

  1. GetSubTree(root, 0) from the mapper: every object below root and its owners;
  2. the ObjectManager covering each owner (the nearest at or above root, from
     GetAncestors and GetObject, else the shallowest inside the subtree) and one
     GetManagedObjects per manager;
  3. Properties.GetAll per interface for the (path, owner) pairs no manager covered;
  4. properties merged per path, booleans as true/false, NaN and infinities as null,
     json.dumps(indent=2, sort_keys=True) of {"data", "message", "status"}.

Usage: dbus_enumerate.py --address ADDRESS --root PATH [--iterations N] [--dump]
Prints one JSON line per iteration with the process CPU time it took
(time.process_time: user + system) and its wall time; --dump prints the
answer text of the first iteration instead (for the test that checks this
baseline gives the gateway's answer).
"""
import argparse
import json
import math
import sys
import time

import dbus

MAPPER = 'xyz.openbmc_project.ObjectMapper'
MAPPER_PATH = '/xyz/openbmc_project/object_mapper'
OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
PROPERTIES = 'org.freedesktop.DBus.Properties'
STANDARD = {'org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer', PROPERTIES, OBJECT_MANAGER}


def to_json(value):
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def is_ancestor(ancestor, path):
    return ancestor != path and (ancestor == '/' or path.startswith(ancestor + '/'))


def mapper_call(bus, member, *args):
    mapper = bus.get_object(MAPPER, MAPPER_PATH, introspect=False)
    try:
        return getattr(mapper, member)(*args, dbus_interface=MAPPER)
    except dbus.exceptions.DBusException as err:
        if err.get_dbus_name() in ('org.freedesktop.DBus.Error.FileNotFound', 'xyz.openbmc_project.Common.Error.ResourceNotFound'):
            return {}
        raise


def manager_owners(owners):
    return [name for name, interfaces in owners.items() if OBJECT_MANAGER in interfaces]


def enumerate_objects(bus, root):
    subtree = mapper_call(bus, 'GetSubTree', root, 0, dbus.Array([], signature='s'))
    subtree.pop(root, None)
    result = {}
    if not subtree:
        return result
    managers = {}
    for path in sorted((p for p, owners in subtree.items() if manager_owners(owners)), key=lambda p: p.count('/')):
        for name in manager_owners(subtree[path]):
            managers.setdefault(name, path)
    candidates = list(mapper_call(bus, 'GetAncestors', root, [OBJECT_MANAGER]).items())
    own = mapper_call(bus, 'GetObject', root, [OBJECT_MANAGER])
    if own:
        candidates.append((root, own))
    for path, owners in sorted(candidates, key=lambda c: c[0].count('/')):
        if path == root or is_ancestor(path, root):
            for name in manager_owners(owners):
                managers[name] = path
    covered = set()
    for name, manager_path in managers.items():
        try:
            managed = bus.get_object(name, manager_path, introspect=False).GetManagedObjects(dbus_interface=OBJECT_MANAGER)
        except dbus.exceptions.DBusException:
            continue
        for path, interfaces in managed.items():
            if path not in subtree or name not in subtree[path]:
                continue
            merged = result.setdefault(str(path), {})
            for properties in interfaces.values():
                merged.update(properties)
            covered.add((str(path), name))
    for path, owners in subtree.items():
        merged = result.setdefault(str(path), {})
        for name in sorted(owners):
            if (str(path), name) in covered:
                continue
            proxy = bus.get_object(name, path, introspect=False)
            for interface in owners[name]:
                if interface in STANDARD:
                    continue
                try:
                    merged.update(proxy.GetAll(interface, dbus_interface=PROPERTIES))
                except dbus.exceptions.DBusException:
                    pass
    return result


def answer_text(bus, root):
    data = {path: to_json(properties) for path, properties in enumerate_objects(bus, root).items()}
    return json.dumps({'data': data, 'message': '200 OK', 'status': 'ok'}, indent=2, sort_keys=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--address', required=True)
    parser.add_argument('--root', required=True)
    parser.add_argument('--iterations', type=int, default=1)
    parser.add_argument('--dump', action='store_true')
    args = parser.parse_args()
    bus = dbus.bus.BusConnection(args.address)
    if args.dump:
        sys.stdout.write(answer_text(bus, args.root))
        return
    for _ in range(args.iterations):
        cpu, wall = time.process_time(), time.perf_counter()
        text = answer_text(bus, args.root)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(json.dumps({'cpu_ms': cpu * 1000, 'wall_ms': wall * 1000, 'bytes': len(text)}), flush=True)


if __name__ == '__main__':
    main()
