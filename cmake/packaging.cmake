# Install rules and the Debian package (cpack -G DEB), included by the top CMakeLists.txt.
#   cmake --install build [--prefix P]   P/bin/{kvd-server,kvd-cli,kvd-check-aof,kvd-check-rdb},
#                                         the config and unit (cmake/install_service.cmake), docs
#   cd build && cpack -G DEB              kvd_<version>_<arch>.deb for prefix /usr
include(GNUInstallDirs)

set(KVD_DIR_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS ${KVD_DIR_PERMISSIONS})

# The server, its client and the two file checkers (tools/kvd-check-aof, tools/kvd-check-rdb).
install(TARGETS kvd-server kvd-cli kvd-check-aof kvd-check-rdb RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(CODE "set(KVD_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")\nset(KVD_BINARY_DIR \"${PROJECT_BINARY_DIR}\")")
install(SCRIPT cmake/install_service.cmake)

# Documentation: copyright, changelog (gzip -9n, as Debian wants it), README.
set(KVD_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/install-staging/changelog.gz)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/install-staging)
execute_process(COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/packaging/debian/changelog
                OUTPUT_FILE ${KVD_CHANGELOG_GZ} COMMAND_ERROR_IS_FATAL ANY)
install(FILES packaging/debian/copyright ${KVD_CHANGELOG_GZ} README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- Debian package ----------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kvd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "kvd authors")
set(CPACK_PACKAGE_CONTACT "kvd maintainers <maintainers@users.noreply.h-seed-0c7d4245.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Redis-compatible in-memory key-value store with an HTTP API")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "kvd speaks the Redis 7.0 protocol (RESP2 and RESP3) and an HTTP JSON API,\n"
    "logs writes to a Redis-compatible append-only file, and runs as a systemd\n"
    "service (kvd.service, user kvd, data in /var/lib/kvd). kvd-cli is its\n"
    "interactive client.")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
# The .deb installs under /usr with DESTDIR staging, so cmake/install_service.cmake sees the
# prefix /usr and puts the config in /etc and the unit in /lib/systemd/system.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS ${KVD_DIR_PERMISSIONS})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
