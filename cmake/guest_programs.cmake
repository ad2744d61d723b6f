# Guest programs: x86-64 C programs (examples/guest/*.c) that cbit runs on its simulated CPU
# (src/x86/), as static, non-PIE ELF executables (docs/guest-programs.md). Two ways:
#   - freestanding, with cbit's start file: the host C compiler, -nostdlib -ffreestanding,
#     examples/guest/include/cbit_guest.h and examples/guest/cbit_start.c -> NAME.elf
#   - static musl (Debian's musl-tools: musl-gcc -static -O2) -> NAME.musl.elf, when musl-gcc
#     is installed (scripts/install-deps.sh installs it; without it those programs and their
#     tests are skipped)
#
# Exposes:
#   target cbit_guest_programs (a dependency of cbit_tests and cbit_bench)
#   CBIT_GUEST_SECRET_ELF="<path>"      on the x86 tests and benchmark sources
#   CBIT_MUSL_GCC="<path or empty>"     on the x86 tests
#   CBIT_GUEST_PROGRAM_DIR="<dir>"      on src/x86/guest_programs.cc (find_guest_program)
enable_language(C)
set(CBIT_GUEST_DIR ${CMAKE_BINARY_DIR}/examples/guest)
set(CBIT_GUEST_SRC ${PROJECT_SOURCE_DIR}/examples/guest)
set(CBIT_GUEST_CFLAGS -static -nostdlib -ffreestanding -fno-pie -no-pie -O2
    -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables
    -fno-tree-loop-distribute-patterns -I${CBIT_GUEST_SRC}/include
    -Wl,--build-id=none -Wl,-Ttext-segment=0x400000 -Wall -Wextra -Werror)
set(CBIT_GUEST_OUTPUTS)
foreach(prog secret snp_report password_memcmp password_ct syscall_probe mm_probe touch_memory)
  set(out ${CBIT_GUEST_DIR}/${prog}.elf)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CBIT_GUEST_DIR}
    COMMAND ${CMAKE_C_COMPILER} ${CBIT_GUEST_CFLAGS} -o ${out} ${CBIT_GUEST_SRC}/${prog}.c
            ${CBIT_GUEST_SRC}/cbit_start.c
    DEPENDS ${CBIT_GUEST_SRC}/${prog}.c ${CBIT_GUEST_SRC}/cbit_start.c
            ${CBIT_GUEST_SRC}/include/cbit_guest.h ${CBIT_GUEST_SRC}/sev_guest_uapi.h
    COMMENT "Building guest program ${prog}.elf (freestanding x86-64)"
    VERBATIM)
  list(APPEND CBIT_GUEST_OUTPUTS ${out})
endforeach()

find_program(CBIT_MUSL_GCC musl-gcc)
if(CBIT_MUSL_GCC)
  foreach(prog hello_musl password_memcmp password_ct)
    set(out ${CBIT_GUEST_DIR}/${prog}.musl.elf)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CBIT_GUEST_DIR}
      COMMAND ${CBIT_MUSL_GCC} -static -O2 -Wall -Wextra -Werror -o ${out}
              ${CBIT_GUEST_SRC}/${prog}.c
      DEPENDS ${CBIT_GUEST_SRC}/${prog}.c
      COMMENT "Building guest program ${prog}.musl.elf (static musl)"
      VERBATIM)
    list(APPEND CBIT_GUEST_OUTPUTS ${out})
  endforeach()
else()
  message(STATUS "musl-gcc not found: the static musl guest programs and their tests are skipped")
  set(CBIT_MUSL_GCC "")
endif()
add_custom_target(cbit_guest_programs ALL DEPENDS ${CBIT_GUEST_OUTPUTS})

set_source_files_properties(${PROJECT_SOURCE_DIR}/src/x86/guest_programs.cc PROPERTIES
  COMPILE_DEFINITIONS "CBIT_GUEST_PROGRAM_DIR=\"${CBIT_GUEST_DIR}\"")
# Only the x86 test and benchmark files get the path, so nobody else's objects rebuild.
file(GLOB CBIT_X86_TEST_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/x86/*.cc)
if(TARGET cbit_tests AND CBIT_X86_TEST_SOURCES)
  set_source_files_properties(${CBIT_X86_TEST_SOURCES} DIRECTORY ${PROJECT_SOURCE_DIR}/tests
    PROPERTIES COMPILE_DEFINITIONS
    "CBIT_GUEST_SECRET_ELF=\"${CBIT_GUEST_DIR}/secret.elf\";CBIT_MUSL_GCC=\"${CBIT_MUSL_GCC}\"")
  add_dependencies(cbit_tests cbit_guest_programs)
endif()
if(TARGET cbit_bench)
  set_source_files_properties(${PROJECT_SOURCE_DIR}/bench/bench_x86.cc
    DIRECTORY ${PROJECT_SOURCE_DIR}/bench
    PROPERTIES COMPILE_DEFINITIONS "CBIT_GUEST_SECRET_ELF=\"${CBIT_GUEST_DIR}/secret.elf\"")
  add_dependencies(cbit_bench cbit_guest_programs)
endif()
