import test from 'ava';
import { parseIntrospection } from '../../src/bmc/introspection.js';

const XML = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node name="/xyz/openbmc_project/state/host0">
  <!-- a comment with <interface name="fake"/> inside -->
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg name="interface" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
  </interface>
  <interface name="xyz.openbmc_project.State.Host">
    <property name="CurrentHostState" type="s" access="read"/>
    <property name="RequestedHostTransition" type="s" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="true"/>
    </property>
    <method name="Noop"/>
    <method name="Add"><arg type="i"/><arg name="b" type="i" direction="in"/><arg name="sum" type="i" direction="out"/></method>
    <signal name="Changed"><arg name="what" type="a{sv}"/></signal>
  </interface>
  <node name="child_a"/>
  <node name="child_b"><interface name="ignored.Nested"/></node>
</node>`;

test('parses interfaces, members, properties and children', (t) => {
  const node = parseIntrospection(XML);
  t.deepEqual(node.children, ['child_a', 'child_b']);
  t.deepEqual(node.interfaces.map((i) => i.name), ['org.freedesktop.DBus.Properties', 'xyz.openbmc_project.State.Host']);
  const host = node.interfaces[1]!;
  t.deepEqual(host.properties, [
    { name: 'CurrentHostState', type: 's', access: 'read' },
    { name: 'RequestedHostTransition', type: 's', access: 'readwrite' },
  ]);
  t.deepEqual(host.methods, [
    { name: 'Noop', args: [] },
    { name: 'Add', args: [{ type: 'i', direction: 'in' }, { name: 'b', type: 'i', direction: 'in' }, { name: 'sum', type: 'i', direction: 'out' }] },
  ]);
  t.deepEqual(host.signals, [{ name: 'Changed', args: [{ name: 'what', type: 'a{sv}' }] }]);
});

test('entities in attributes are decoded', (t) => {
  const node = parseIntrospection('<node><interface name="a.B"><property name="P" type="a{s&#118;}" access="read"/></interface></node>');
  t.is(node.interfaces[0]?.properties[0]?.type, 'a{sv}');
});

test('an empty node has nothing', (t) => {
  t.deepEqual(parseIntrospection('<node/>'), { interfaces: [], children: [] });
});

test('text that is not introspection data is rejected', (t) => {
  t.throws(() => parseIntrospection('hello'));
  t.throws(() => parseIntrospection(''));
});
