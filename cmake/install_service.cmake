# Install-time script (install(SCRIPT) from cmake/packaging.cmake): installs conf/kvd.conf
# and the systemd unit conf/kvd.service at the places the install prefix calls for.
# Prefix /usr (the .deb): /etc/kvd/kvd.conf and /lib/systemd/system/kvd.service, as Debian 12
# does; any other prefix P: P/etc/kvd/kvd.conf and P/lib/systemd/system/kvd.service, with the
# unit's ExecStart rewritten to P/bin/kvd-server --config P/etc/kvd/kvd.conf.
# file(INSTALL) honours DESTDIR (cpack stages the package with it).
# Needs KVD_SOURCE_DIR and KVD_BINARY_DIR, set by an install(CODE) just before.
set(_kvd_prefix "${CMAKE_INSTALL_PREFIX}")
if(_kvd_prefix STREQUAL "/usr")
  set(_kvd_etc "/etc")
  set(_kvd_unitdir "/lib/systemd/system")
else()
  set(_kvd_etc "${_kvd_prefix}/etc")
  set(_kvd_unitdir "${_kvd_prefix}/lib/systemd/system")
endif()
file(READ "${KVD_SOURCE_DIR}/conf/kvd.service" _kvd_unit)
string(REPLACE "/usr/bin/kvd-server" "${_kvd_prefix}/bin/kvd-server" _kvd_unit "${_kvd_unit}")
string(REPLACE "/etc/kvd/kvd.conf" "${_kvd_etc}/kvd/kvd.conf" _kvd_unit "${_kvd_unit}")
file(WRITE "${KVD_BINARY_DIR}/install-staging/kvd.service" "${_kvd_unit}")
file(INSTALL DESTINATION "${_kvd_etc}/kvd" TYPE FILE FILES "${KVD_SOURCE_DIR}/conf/kvd.conf")
file(INSTALL DESTINATION "${_kvd_unitdir}" TYPE FILE FILES "${KVD_BINARY_DIR}/install-staging/kvd.service")
