# Guest programs: freestanding x86-64 C programs (examples/guest/*.c) that cbit runs on its
# simulated CPU (src/x86/). Built with the host C compiler as static, non-PIE ELF executables
# at a fixed link address; no libc, raw Linux system calls.
#
# Exposes:
#   target cbit_guest_programs (a dependency of cbit_tests and cbit_bench)
#   CBIT_GUEST_SECRET_ELF="<path>"      on the x86 tests and benchmark sources
#   CBIT_GUEST_PROGRAM_DIR="<dir>"      on src/x86/guest_programs.cc (find_guest_program)
enable_language(C)
set(CBIT_GUEST_DIR ${CMAKE_BINARY_DIR}/examples/guest)
set(CBIT_GUEST_CFLAGS -static -nostdlib -ffreestanding -fno-pie -no-pie -O2
    -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables
    -Wl,--build-id=none -Wl,-Ttext-segment=0x400000 -Wall -Wextra -Werror)
set(CBIT_GUEST_OUTPUTS)
foreach(prog secret snp_report)
  set(out ${CBIT_GUEST_DIR}/${prog}.elf)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CBIT_GUEST_DIR}
    COMMAND ${CMAKE_C_COMPILER} ${CBIT_GUEST_CFLAGS} -o ${out}
            ${PROJECT_SOURCE_DIR}/examples/guest/${prog}.c
    DEPENDS ${PROJECT_SOURCE_DIR}/examples/guest/${prog}.c
            ${PROJECT_SOURCE_DIR}/examples/guest/sev_guest_uapi.h
    COMMENT "Building guest program ${prog}.elf (freestanding x86-64)"
    VERBATIM)
  list(APPEND CBIT_GUEST_OUTPUTS ${out})
endforeach()
add_custom_target(cbit_guest_programs ALL DEPENDS ${CBIT_GUEST_OUTPUTS})

set_source_files_properties(${PROJECT_SOURCE_DIR}/src/x86/guest_programs.cc PROPERTIES
  COMPILE_DEFINITIONS "CBIT_GUEST_PROGRAM_DIR=\"${CBIT_GUEST_DIR}\"")
# Only the x86 test and benchmark files get the path, so nobody else's objects rebuild.
file(GLOB CBIT_X86_TEST_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/x86/*.cc)
if(TARGET cbit_tests AND CBIT_X86_TEST_SOURCES)
  set_source_files_properties(${CBIT_X86_TEST_SOURCES} DIRECTORY ${PROJECT_SOURCE_DIR}/tests
    PROPERTIES COMPILE_DEFINITIONS "CBIT_GUEST_SECRET_ELF=\"${CBIT_GUEST_DIR}/secret.elf\"")
  add_dependencies(cbit_tests cbit_guest_programs)
endif()
if(TARGET cbit_bench)
  set_source_files_properties(${PROJECT_SOURCE_DIR}/bench/bench_x86.cc
    DIRECTORY ${PROJECT_SOURCE_DIR}/bench
    PROPERTIES COMPILE_DEFINITIONS "CBIT_GUEST_SECRET_ELF=\"${CBIT_GUEST_DIR}/secret.elf\"")
  add_dependencies(cbit_bench cbit_guest_programs)
endif()
