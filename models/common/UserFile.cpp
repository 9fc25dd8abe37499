#include "models/common/UserFile.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sotsim::io {

void require_regular_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) throw UserFileError("no such file");
        throw UserFileError(std::string("cannot open: ") + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) throw UserFileError("is a directory, not a file");
    if (!S_ISREG(st.st_mode))
        throw UserFileError(S_ISFIFO(st.st_mode) ? "is a FIFO, not a regular file"
                                                 : "is a device or socket, not a regular file");
}

std::uint64_t open_user_file(const std::string& path, std::uint64_t max_bytes, std::ifstream& f) {
    require_regular_file(path);
    f.open(path, std::ios::binary);
    if (!f) throw UserFileError(std::string("cannot open: ") + std::strerror(errno));
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    if (size < 0) throw UserFileError("cannot determine the file size");
    if (static_cast<std::uint64_t>(size) > max_bytes)
        throw UserFileError("is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) +
                            " this reader accepts");
    f.seekg(0, std::ios::beg);
    return static_cast<std::uint64_t>(size);
}

std::string read_user_file(const std::string& path, std::uint64_t max_bytes) {
    std::ifstream f;
    const std::uint64_t size = open_user_file(path, max_bytes, f);
    std::string bytes(static_cast<std::size_t>(size), '\0');
    f.read(bytes.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uint64_t>(f.gcount()) != size) throw UserFileError("read failed (the file changed while it was read)");
    return bytes;
}

}  // namespace sotsim::io
