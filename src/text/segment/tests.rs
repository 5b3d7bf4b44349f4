//! The segmenter's table of cases, its contract on any text, and the precision and recall on the
//! development and held-out gold sets (kept apart from the rules, which they outweigh).

use super::split;

/// Inputs and the sentences a careful reader finds in them, grouped by rule.
const CASES: &[(&str, &[&str])] = &[
    // Basics: trimming, whitespace, newlines, what can open a sentence.
    ("", &[]),
    ("   \n\t ", &[]),
    ("Halo.", &["Halo."]),
    ("  Halo.  \n", &["Halo."]),
    ("Tanpa tanda baca di akhir", &["Tanpa tanda baca di akhir"]),
    ("Ia datang. Ia pergi.", &["Ia datang.", "Ia pergi."]),
    ("Ia datang.  Ia pergi.", &["Ia datang.", "Ia pergi."]),
    ("Ia datang.\nIa pergi.", &["Ia datang.", "Ia pergi."]),
    ("\nIa datang.\n\n\nIa pergi.\n", &["Ia datang.", "Ia pergi."]),
    ("Ia datang.\u{a0}Ia pergi.", &["Ia datang.", "Ia pergi."]),
    ("Ia datang\nke kantor. Lalu pulang.", &["Ia datang\nke kantor.", "Lalu pulang."]),
    ("Banjir Melanda Jakarta\nWarga mengungsi.", &["Banjir Melanda Jakarta\nWarga mengungsi."]),
    ("Ia datang. ia pergi.", &["Ia datang. ia pergi."]),
    ("Apa kabar? Baik!", &["Apa kabar?", "Baik!"]),
    ("Awas! Ada lubang besar di sana.", &["Awas!", "Ada lubang besar di sana."]),
    ("Sungguh?! Tidak mungkin.", &["Sungguh?!", "Tidak mungkin."]),
    ("Ia menang. 3 orang lainnya kalah.", &["Ia menang.", "3 orang lainnya kalah."]),
    ("Dana itu lenyap. $100 juta tak kembali.", &["Dana itu lenyap.", "$100 juta tak kembali."]),
    ("Ateş Kara hadir. Ölçüm baru dimulai.", &["Ateş Kara hadir.", "Ölçüm baru dimulai."]),
    ("Dia pura-pura. Itulah. Itulah mengapa.", &["Dia pura-pura.", "Itulah.", "Itulah mengapa."]),
    ("Saya tidak ingin hadiah. Saya ingin masa depan", &["Saya tidak ingin hadiah.", "Saya ingin masa depan"]),
    // No whitespace after the mark, no boundary.
    ("Kasus naik pada 20 Januari 2020.Per 26 Maret, angkanya turun.", &["Kasus naik pada 20 Januari 2020.Per 26 Maret, angkanya turun."]),
    // Titles and degrees: a name follows.
    ("Bpk. Joko hadir.", &["Bpk. Joko hadir."]),
    ("Kami bertemu Bpk. Joko Widodo. Beliau ramah.", &["Kami bertemu Bpk. Joko Widodo.", "Beliau ramah."]),
    ("Surat untuk Bp. Ahmad sudah dikirim.", &["Surat untuk Bp. Ahmad sudah dikirim."]),
    ("Menurut Dr. Tom Frieden, pandemi ini belum pernah terjadi.", &["Menurut Dr. Tom Frieden, pandemi ini belum pernah terjadi."]),
    ("Korban dirawat oleh dr. Rina. Kondisinya membaik.", &["Korban dirawat oleh dr. Rina.", "Kondisinya membaik."]),
    ("Pidato Prof. Salim dimulai pukul sembilan.", &["Pidato Prof. Salim dimulai pukul sembilan."]),
    ("Menurut Prof. Dr. Ir. H. Ahmad Fauzi, M.Si., inflasi turun.", &["Menurut Prof. Dr. Ir. H. Ahmad Fauzi, M.Si., inflasi turun."]),
    ("Jemaah dipimpin H. Ahmad dan Hj. Siti Fatimah.", &["Jemaah dipimpin H. Ahmad dan Hj. Siti Fatimah."]),
    ("Drs. Bambang Sutejo, M.M. menjadi pembicara.", &["Drs. Bambang Sutejo, M.M. menjadi pembicara."]),
    ("Dekan, Dr. Budi, S.H., M.H., membuka acara.", &["Dekan, Dr. Budi, S.H., M.H., membuka acara."]),
    ("Narasumber: Ahmad, S.H. Budi, M.Si. dan Citra, S.E.", &["Narasumber: Ahmad, S.H. Budi, M.Si. dan Citra, S.E."]),
    ("Guru itu, Sri Wahyuni, S.Pd. mengajar di Bogor.", &["Guru itu, Sri Wahyuni, S.Pd. mengajar di Bogor."]),
    ("Ia meraih gelar Ph.D. dari MIT.", &["Ia meraih gelar Ph.D. dari MIT."]),
    ("Sdr. Andi diminta hadir. Ia datang.", &["Sdr. Andi diminta hadir.", "Ia datang."]),
    ("Kepada Yth. Bapak Gubernur Jawa Timur.", &["Kepada Yth. Bapak Gubernur Jawa Timur."]),
    ("Tn. White memberikan beberapa komentar.", &["Tn. White memberikan beberapa komentar."]),
    ("Bolehkah aku berbicara dengan Tn. Sato?", &["Bolehkah aku berbicara dengan Tn. Sato?"]),
    ("Ny. Meneer terkenal karena jamunya.", &["Ny. Meneer terkenal karena jamunya."]),
    ("Acara dihadiri Mr. John Smith dari Inggris.", &["Acara dihadiri Mr. John Smith dari Inggris."]),
    ("Tausiah diberikan KH. Ma'ruf Amin.", &["Tausiah diberikan KH. Ma'ruf Amin."]),
    ("Moh. Hatta adalah wakil presiden pertama.", &["Moh. Hatta adalah wakil presiden pertama."]),
    ("Jenderal TNI (Purn.) Luhut hadir.", &["Jenderal TNI (Purn.) Luhut hadir."]),
    ("Lokasi ditinjau Kapolda Irjen Pol. Ahmad Luthfi.", &["Lokasi ditinjau Kapolda Irjen Pol. Ahmad Luthfi."]),
    ("Skornya, kata Kol. Budi, belum pasti.", &["Skornya, kata Kol. Budi, belum pasti."]),
    ("Ia membeli kol. Harganya naik.", &["Ia membeli kol.", "Harganya naik."]),
    ("Ia tinggal di St. Louis. Kota itu besar.", &["Ia tinggal di St. Louis.", "Kota itu besar."]),
    ("Kasus itu diperiksa BPK. Hasilnya diumumkan.", &["Kasus itu diperiksa BPK.", "Hasilnya diumumkan."]),
    ("Ia bekerja di PT. Pertamina (Persero).", &["Ia bekerja di PT. Pertamina (Persero)."]),
    ("Rapat selesai. Dr. Budi pulang.", &["Rapat selesai.", "Dr. Budi pulang."]),
    // dll., dsb., dst., tsb., dkk., et al., months, company suffixes: a
    // boundary only before a capitalised word.
    ("Ia membeli buku, pena, dll. Kemudian ia pulang.", &["Ia membeli buku, pena, dll.", "Kemudian ia pulang."]),
    ("Ia membeli buku, pena, dll. dan pulang.", &["Ia membeli buku, pena, dll. dan pulang."]),
    ("Ia membeli beras, gula, dll.", &["Ia membeli beras, gula, dll."]),
    ("Sayur, buah, dsb. Semua tersedia.", &["Sayur, buah, dsb.", "Semua tersedia."]),
    ("Sayur, buah, dsb. tersedia di sana.", &["Sayur, buah, dsb. tersedia di sana."]),
    ("Langkah pertama, kedua, dst. diulang.", &["Langkah pertama, kedua, dst. diulang."]),
    ("Ia membaca, menulis, dst. Ia tak pernah bosan.", &["Ia membaca, menulis, dst.", "Ia tak pernah bosan."]),
    ("Rumah tsb. dijual murah.", &["Rumah tsb. dijual murah."]),
    ("Ia membeli rumah tsb. Harganya mahal.", &["Ia membeli rumah tsb.", "Harganya mahal."]),
    ("Studi oleh Hasan dkk. menunjukkan hasil baru.", &["Studi oleh Hasan dkk. menunjukkan hasil baru."]),
    ("Studi dilakukan Hasan dkk. Hasilnya dimuat di jurnal.", &["Studi dilakukan Hasan dkk.", "Hasilnya dimuat di jurnal."]),
    ("Spiteri et al. melaporkan kasus pertama.", &["Spiteri et al. melaporkan kasus pertama."]),
    ("Zhou, et al. melaporkan struktur cryo-EM.", &["Zhou, et al. melaporkan struktur cryo-EM."]),
    ("Studi dilakukan Zhou et al. Mereka meneliti ACE2.", &["Studi dilakukan Zhou et al.", "Mereka meneliti ACE2."]),
    ("Ponsel, dompet, dll. (lihat foto) disita.", &["Ponsel, dompet, dll. (lihat foto) disita."]),
    ("Ia membeli alat tulis, dll. \"Semua untuk sekolah,\" katanya.", &["Ia membeli alat tulis, dll.", "\"Semua untuk sekolah,\" katanya."]),
    ("Kasus naik sebelum 23 Jan. 2020, sesuai data.", &["Kasus naik sebelum 23 Jan. 2020, sesuai data."]),
    ("Data dikumpulkan hingga Des. Tahun depan diperbarui.", &["Data dikumpulkan hingga Des.", "Tahun depan diperbarui."]),
    ("Ia bekerja di Apple Inc. Perusahaan itu besar.", &["Ia bekerja di Apple Inc.", "Perusahaan itu besar."]),
    ("Martin Luther King Jr. memimpin gerakan itu.", &["Martin Luther King Jr. memimpin gerakan itu."]),
    // No., Jl., Kab., Rp., Tbk., vs., hlm.: what follows is protected.
    ("Kantor di Jl. Merdeka No. 12, Jakarta.", &["Kantor di Jl. Merdeka No. 12, Jakarta."]),
    ("Ia tinggal di Jl. Sudirman. Rumahnya besar.", &["Ia tinggal di Jl. Sudirman.", "Rumahnya besar."]),
    ("Ia tinggal di jln. Kenanga.", &["Ia tinggal di jln. Kenanga."]),
    ("Ia dari Kab. Bogor, Kec. Ciawi, Kel. Bendungan.", &["Ia dari Kab. Bogor, Kec. Ciawi, Kel. Bendungan."]),
    ("Prov. Jawa Barat menolak usulan itu.", &["Prov. Jawa Barat menolak usulan itu."]),
    ("Harganya Rp. 5.000 per buah.", &["Harganya Rp. 5.000 per buah."]),
    ("Saham PT Astra International Tbk. (ASII) naik.", &["Saham PT Astra International Tbk. (ASII) naik."]),
    ("Persija vs. Persib berakhir imbang.", &["Persija vs. Persib berakhir imbang."]),
    ("Lihat hlm. 45 untuk rinciannya.", &["Lihat hlm. 45 untuk rinciannya."]),
    ("Hlm. 5 memuat data itu.", &["Hlm. 5 memuat data itu."]),
    ("Ia mengenakan kaus no. 10 di tim itu.", &["Ia mengenakan kaus no. 10 di tim itu."]),
    ("No. 7 adalah nomor favoritnya.", &["No. 7 adalah nomor favoritnya."]),
    ("Seperti terlihat di Gbr. 1.1, klaster muncul.", &["Seperti terlihat di Gbr. 1.1, klaster muncul."]),
    ("Hubungi Telp. 021-555 untuk info.", &["Hubungi Telp. 021-555 untuk info."]),
    ("Acara dimulai pkl. 09.00 WIB.", &["Acara dimulai pkl. 09.00 WIB."]),
    ("Lokasinya di Jl. Jend. Sudirman Kav. 52, Jakarta.", &["Lokasinya di Jl. Jend. Sudirman Kav. 52, Jakarta."]),
    // Single initials.
    ("Presiden B. J. Habibie lahir di Parepare.", &["Presiden B. J. Habibie lahir di Parepare."]),
    ("Susilo B. Yudhoyono menjabat dua periode.", &["Susilo B. Yudhoyono menjabat dua periode."]),
    ("W. R. Supratman menciptakan lagu itu.", &["W. R. Supratman menciptakan lagu itu."]),
    ("Tersangka berinisial A. S. ditangkap.", &["Tersangka berinisial A. S. ditangkap."]),
    ("Ia lahir di Parepare. B. J. Habibie lalu kuliah di Jerman.", &["Ia lahir di Parepare.", "B. J. Habibie lalu kuliah di Jerman."]),
    ("Jawabannya \"B.\" Semua setuju.", &["Jawabannya \"B.\"", "Semua setuju."]),
    // Dotted abbreviations.
    ("B.J. Habibie lahir pada 1936.", &["B.J. Habibie lahir pada 1936."]),
    ("Surat a.n. Kepala Dinas dikirim.", &["Surat a.n. Kepala Dinas dikirim."]),
    ("Libur tanggal 1 s.d. 5 Mei.", &["Libur tanggal 1 s.d. 5 Mei."]),
    ("Ditulis oleh Budi a.k.a. Si Kancil.", &["Ditulis oleh Budi a.k.a. Si Kancil."]),
    ("Lulusan U.S. Army itu tiba.", &["Lulusan U.S. Army itu tiba."]),
    // Decimal commas, thousands dots, times, dates, versions.
    ("Suku bunga naik menjadi 2,75%. Pasar bereaksi.", &["Suku bunga naik menjadi 2,75%.", "Pasar bereaksi."]),
    ("Harganya Rp15.720 per dolar AS.", &["Harganya Rp15.720 per dolar AS."]),
    ("Sebanyak 50.000 orang hadir.", &["Sebanyak 50.000 orang hadir."]),
    ("Acara dimulai pukul 19.30. Tamu berdatangan.", &["Acara dimulai pukul 19.30.", "Tamu berdatangan."]),
    ("Tenggatnya 27.11.2026. Jangan terlambat.", &["Tenggatnya 27.11.2026.", "Jangan terlambat."]),
    ("Ia lahir pada 17.08.1945 di Jakarta.", &["Ia lahir pada 17.08.1945 di Jakarta."]),
    ("Kasus mencapai 1.234.567 orang. Angka itu naik.", &["Kasus mencapai 1.234.567 orang.", "Angka itu naik."]),
    ("Kode U07.1 dipakai. Kode U07.2 juga.", &["Kode U07.1 dipakai.", "Kode U07.2 juga."]),
    ("Versi 2.0.1 dirilis hari ini.", &["Versi 2.0.1 dirilis hari ini."]),
    ("Ia lahir tahun 1945. Kemudian Indonesia merdeka.", &["Ia lahir tahun 1945.", "Kemudian Indonesia merdeka."]),
    ("Inflasi 2,5%. 3 bank menaikkan bunga.", &["Inflasi 2,5%.", "3 bank menaikkan bunga."]),
    ("Data diperbarui pukul 8.00. Jumlah ini resmi.", &["Data diperbarui pukul 8.00.", "Jumlah ini resmi."]),
    ("Kerugian Rp1,5 triliun. Polisi masih menghitung.", &["Kerugian Rp1,5 triliun.", "Polisi masih menghitung."]),
    ("Umurnya 16. Kamu berapa?", &["Umurnya 16.", "Kamu berapa?"]),
    // Ellipses: a boundary before a capital only.
    ("Ia menunggu... lalu pergi.", &["Ia menunggu... lalu pergi."]),
    ("Ia menunggu... Lalu pergi.", &["Ia menunggu...", "Lalu pergi."]),
    ("Ia terdiam… kemudian tersenyum.", &["Ia terdiam… kemudian tersenyum."]),
    ("Ia terdiam… Kemudian tersenyum.", &["Ia terdiam…", "Kemudian tersenyum."]),
    ("Maaf...", &["Maaf..."]),
    ("Keabadian itu ada. Keabadian itu ada disini...", &["Keabadian itu ada.", "Keabadian itu ada disini..."]),
    ("\"Ah tidak, maksudku... begini.\" Ia diam.", &["\"Ah tidak, maksudku... begini.\"", "Ia diam."]),
    ("Dan kemudian.... Semua hilang.", &["Dan kemudian....", "Semua hilang."]),
    ("Ia pergi . . . dan tak kembali.", &["Ia pergi . . . dan tak kembali."]),
    ("“…” Ia tak menjawab.", &["“…”", "Ia tak menjawab."]),
    // `?` and `!` before a lower-case attribution.
    ("\"Benarkah?\" tanya dia.", &["\"Benarkah?\" tanya dia."]),
    ("“Benarkah?” tanya dia.", &["“Benarkah?” tanya dia."]),
    ("\"Ayo!\" seru Budi.", &["\"Ayo!\" seru Budi."]),
    ("\"Ayo!\" seru Budi. Mereka berangkat.", &["\"Ayo!\" seru Budi.", "Mereka berangkat."]),
    ("Benarkah? tanya dia dalam hati.", &["Benarkah? tanya dia dalam hati."]),
    ("Wah, hebat sekali! kata seorang penonton.", &["Wah, hebat sekali! kata seorang penonton."]),
    ("\"Benarkah?!\" teriaknya.", &["\"Benarkah?!\" teriaknya."]),
    ("Dia menulis buku \"Mengapa Kita Gagal?\" yang laris.", &["Dia menulis buku \"Mengapa Kita Gagal?\" yang laris."]),
    ("\"Sungguh?\" Ia tak percaya.", &["\"Sungguh?\"", "Ia tak percaya."]),
    ("Mengapa? Karena hujan.", &["Mengapa?", "Karena hujan."]),
    ("\"Kapan?\" \"Besok.\"", &["\"Kapan?\"", "\"Besok.\""]),
    ("\"Umur?\" \"16.\"", &["\"Umur?\"", "\"16.\""]),
    // Closing quotes and brackets after the mark belong to the sentence.
    ("Ia berkata, \"Kita menang.\" Semua bersorak.", &["Ia berkata, \"Kita menang.\"", "Semua bersorak."]),
    ("Hal itu penting bagi kawasan.\" Ia menambahkan.", &["Hal itu penting bagi kawasan.\"", "Ia menambahkan."]),
    ("Ia berkata “Ya.” Lalu pergi.", &["Ia berkata “Ya.”", "Lalu pergi."]),
    ("Ia berkata ‘ya.’ Lalu pergi.", &["Ia berkata ‘ya.’", "Lalu pergi."]),
    ("Ia berkata «Ya.» Lalu pergi.", &["Ia berkata «Ya.»", "Lalu pergi."]),
    ("Dia bilang 'cukup.' Semua diam.", &["Dia bilang 'cukup.'", "Semua diam."]),
    ("“Ya.” “Tidak.”", &["“Ya.”", "“Tidak.”"]),
    ("Ia tiba kemarin (sumber: AP). Lalu pergi.", &["Ia tiba kemarin (sumber: AP).", "Lalu pergi."]),
    ("Data ada di bawah ini (Gbr. 5). Gambar itu jelas.", &["Data ada di bawah ini (Gbr. 5).", "Gambar itu jelas."]),
    ("(Ini catatan.) Lalu lanjut.", &["(Ini catatan.)", "Lalu lanjut."]),
    ("[Ini catatan.] Lalu lanjut.", &["[Ini catatan.]", "Lalu lanjut."]),
    ("Ia tiba kemarin. (Sumber: AP)", &["Ia tiba kemarin.", "(Sumber: AP)"]),
    ("Ia tiba kemarin. (sumber: AP)", &["Ia tiba kemarin. (sumber: AP)"]),
    ("Ia berkata. \"Ayo pergi.\"", &["Ia berkata.", "\"Ayo pergi.\""]),
    ("Ia menulis: \"Kami siap.\" ", &["Ia menulis: \"Kami siap.\""]),
    // A quotation of two sentences is split inside the quote marks.
    ("\"S1. S2,\" ujar Bapak Kim.", &["\"S1.", "S2,\" ujar Bapak Kim."]),
    ("\"Kami siap. Kami menunggu,\" kata dia.", &["\"Kami siap.", "Kami menunggu,\" kata dia."]),
    // URLs, domain names and e-mail addresses.
    ("Lihat https://x.com/a.b?c=d untuk detail.", &["Lihat https://x.com/a.b?c=d untuk detail."]),
    ("Lihat https://x.com/a.b?c=d. Situs itu resmi.", &["Lihat https://x.com/a.b?c=d.", "Situs itu resmi."]),
    ("Lihat http://contoh.id/?q=Apa!Ini untuk detail.", &["Lihat http://contoh.id/?q=Apa!Ini untuk detail."]),
    ("Kunjungi www.kompas.com untuk berita.", &["Kunjungi www.kompas.com untuk berita."]),
    ("Berita dimuat di www.kompas.com. Redaksi mengonfirmasi.", &["Berita dimuat di www.kompas.com.", "Redaksi mengonfirmasi."]),
    ("Berita dimuat di detik.com. Redaksi mengonfirmasi.", &["Berita dimuat di detik.com.", "Redaksi mengonfirmasi."]),
    ("Kirim ke humas@jakarta.go.id. Tim akan menjawab.", &["Kirim ke humas@jakarta.go.id.", "Tim akan menjawab."]),
    ("Kirim ke budi.santoso@mail.ui.ac.id sekarang.", &["Kirim ke budi.santoso@mail.ui.ac.id sekarang."]),
    // Degrees and post-nominal titles end a sentence only before a word that
    // no name is (a pronoun, a conjunction, a word in -nya).
    ("Hal itu dikatakan Budi Santoso, S.E., M.M. Ia menambahkan data.", &["Hal itu dikatakan Budi Santoso, S.E., M.M.", "Ia menambahkan data."]),
    ("Rapat dipimpin Rina, M.Si. Namun, tak semua hadir.", &["Rapat dipimpin Rina, M.Si.", "Namun, tak semua hadir."]),
    ("Ia lulus sebagai S.Farm. Kini ia bekerja di apotek.", &["Ia lulus sebagai S.Farm.", "Kini ia bekerja di apotek."]),
    ("Materi dibawakan Joko, S.Kom. Menurutnya, data itu aman.", &["Materi dibawakan Joko, S.Kom.", "Menurutnya, data itu aman."]),
    ("Sidang dipimpin Hakim Eko, S.H. Hasilnya, terdakwa bebas.", &["Sidang dipimpin Hakim Eko, S.H.", "Hasilnya, terdakwa bebas."]),
    ("Ani Lestari, M.Si. dari IPB menjadi pembicara.", &["Ani Lestari, M.Si. dari IPB menjadi pembicara."]),
    ("Dedi, S.Sos. sebagai ketua membuka acara.", &["Dedi, S.Sos. sebagai ketua membuka acara."]),
    ("Macet terjadi di Jl. M.H. Thamrin. Polisi mengatur arus.", &["Macet terjadi di Jl. M.H. Thamrin.", "Polisi mengatur arus."]),
    ("Kantornya di Jl. K.H. Agus Salim No. 4, Bekasi.", &["Kantornya di Jl. K.H. Agus Salim No. 4, Bekasi."]),
    ("Penceramahnya Ustaz Hasan, Lc. Ia lulusan Al-Azhar.", &["Penceramahnya Ustaz Hasan, Lc.", "Ia lulusan Al-Azhar."]),
    ("Ustaz Hasan, Lc., M.A. memberi tausiah.", &["Ustaz Hasan, Lc., M.A. memberi tausiah."]),
    ("Misa dipimpin Romo Agus, Pr. Setelah itu umat pulang.", &["Misa dipimpin Romo Agus, Pr.", "Setelah itu umat pulang."]),
    ("Romo Agus, Pr. memimpin misa.", &["Romo Agus, Pr. memimpin misa."]),
    ("Obat diracik Nita, S.Farm., Apt. Ia bertugas malam.", &["Obat diracik Nita, S.Farm., Apt.", "Ia bertugas malam."]),
    // Initials likewise: `vitamin C.` can end a sentence.
    ("Pasien diberi vitamin C. Setelah itu ia membaik.", &["Pasien diberi vitamin C.", "Setelah itu ia membaik."]),
    ("Pelakunya berinisial A. Ia ditangkap kemarin.", &["Pelakunya berinisial A.", "Ia ditangkap kemarin."]),
    ("Soekarno dan Moh. Hatta A. Rahman hadir.", &["Soekarno dan Moh. Hatta A. Rahman hadir."]),
    // Letter abbreviations: clause-closing ones end before a capital, but not
    // before a bracketed ticker; address words never end.
    ("Emiten itu adalah PT Maju Jaya Tbk. Perseroan merugi.", &["Emiten itu adalah PT Maju Jaya Tbk.", "Perseroan merugi."]),
    ("Saham PT Maju Jaya Tbk. (MAJU) turun.", &["Saham PT Maju Jaya Tbk. (MAJU) turun."]),
    ("Laba PT Maju Jaya Tbk. naik 5%.", &["Laba PT Maju Jaya Tbk. naik 5%."]),
    ("Surat dikirim kepada yth. Bapak Camat.", &["Surat dikirim kepada yth. Bapak Camat."]),
    ("Transfer ke rekening a.n. Budi Hartono.", &["Transfer ke rekening a.n. Budi Hartono."]),
    ("Kantor buka Senin s.d. Sabtu.", &["Kantor buka Senin s.d. Sabtu."]),
    ("Kirim berkas u.p. Kepala Bagian Umum.", &["Kirim berkas u.p. Kepala Bagian Umum."]),
    ("Data diolah Arif dkk. Mereka memakai citra satelit.", &["Data diolah Arif dkk.", "Mereka memakai citra satelit."]),
    ("Studi Arif dkk. (2020) dikutip luas.", &["Studi Arif dkk. (2020) dikutip luas."]),
    // Places, offices, ranks and corps before a name.
    ("Ia lahir di Kep. Seribu, Jakarta.", &["Ia lahir di Kep. Seribu, Jakarta."]),
    ("Gubernur Kep. Bangka Belitung hadir.", &["Gubernur Kep. Bangka Belitung hadir."]),
    ("Warga Kab. Garut dan Kec. Cisurupan terdampak.", &["Warga Kab. Garut dan Kec. Cisurupan terdampak."]),
    ("Rumahnya di Kel. Menteng, Kec. Menteng.", &["Rumahnya di Kel. Menteng, Kec. Menteng."]),
    ("Ia tinggal di Komp. Griya Asri, Perum. Bumi Indah.", &["Ia tinggal di Komp. Griya Asri, Perum. Bumi Indah."]),
    ("Hadir Brigjen Pol. Rudi Setiawan dan Kombes Pol. Ahmad.", &["Hadir Brigjen Pol. Rudi Setiawan dan Kombes Pol. Ahmad."]),
    ("Upacara dipimpin Kolonel Inf. Dedi Kusnadi.", &["Upacara dipimpin Kolonel Inf. Dedi Kusnadi."]),
    ("Ia berpangkat Serka. Ia bertugas di Kodim.", &["Ia berpangkat Serka.", "Ia bertugas di Kodim."]),
    ("Penghargaan diberikan kepada Brigjen. Budi Hartono.", &["Penghargaan diberikan kepada Brigjen. Budi Hartono."]),
    // Sentences that start in lower case: outlets and the physician's title.
    ("Polisi belum berkomentar. detikcom sudah menghubungi Kapolres.", &["Polisi belum berkomentar.", "detikcom sudah menghubungi Kapolres."]),
    ("Pesan itu belum dibalas. kumparan, Senin, mencoba lagi.", &["Pesan itu belum dibalas.", "kumparan, Senin, mencoba lagi."]),
    ("Pasien sudah pulang. dr. Irma menyebut kondisinya baik.", &["Pasien sudah pulang.", "dr. Irma menyebut kondisinya baik."]),
    ("Kasus itu viral. tirto.id menelusuri asal videonya.", &["Kasus itu viral.", "tirto.id menelusuri asal videonya."]),
    ("Waktunya tinggal 30 detik. detik-detik itu menegangkan.", &["Waktunya tinggal 30 detik. detik-detik itu menegangkan."]),
    // A capitalised speech verb after `?`, `!` or a closing quote attributes
    // the quotation; other capitalised words start a sentence.
    ("\"Mengapa?\" Tanya Rudi kepada petugas.", &["\"Mengapa?\" Tanya Rudi kepada petugas."]),
    ("\"Awas!\" Teriak petugas.", &["\"Awas!\" Teriak petugas."]),
    ("\"Tidak ada jalan lain?\" Tanyanya lirih.", &["\"Tidak ada jalan lain?\" Tanyanya lirih."]),
    ("\"Kami siap.\" Kata komandan itu.", &["\"Kami siap.\" Kata komandan itu."]),
    ("“Hebat!” Ujar Sinta.", &["“Hebat!” Ujar Sinta."]),
    ("\"Siapa?\" Ia menoleh.", &["\"Siapa?\"", "Ia menoleh."]),
    ("\"Cepat!\" Semua berlari.", &["\"Cepat!\"", "Semua berlari."]),
    ("Ia pindah. Kata tetangganya, ia ke Medan.", &["Ia pindah.", "Kata tetangganya, ia ke Medan."]),
    ("Kenapa? Jelas karena hujan.", &["Kenapa?", "Jelas karena hujan."]),
    // An ellipsis in brackets leaves words out of a quotation.
    ("\"Kami sudah bekerja […] Pemerintah akan membantu,\" ujarnya.", &["\"Kami sudah bekerja […] Pemerintah akan membantu,\" ujarnya."]),
    ("Ia berkata (...) Semua harus siap.", &["Ia berkata (...) Semua harus siap."]),
    ("Ia menunggu lama… Akhirnya bus datang.", &["Ia menunggu lama…", "Akhirnya bus datang."]),
    ("\"Saya tidak tahu…\" Ia menunduk.", &["\"Saya tidak tahu…\"", "Ia menunduk."]),
    ("\"Saya tidak tahu…\" ujarnya.", &["\"Saya tidak tahu…\" ujarnya."]),
    // Inline enumerations: after a word that introduces a list, and each
    // label after the one before it.
    ("Syaratnya antara lain 1. KTP, 2. KK, dan 3. NPWP.", &["Syaratnya antara lain 1. KTP, 2. KK, dan 3. NPWP."]),
    ("Syaratnya yaitu 1. KTP 2. KK 3. NPWP.", &["Syaratnya yaitu 1. KTP 2. KK 3. NPWP."]),
    ("Ada dua tuntutan, yakni 1. Turunkan harga. 2. Buka lapangan kerja.", &["Ada dua tuntutan, yakni 1. Turunkan harga.", "2. Buka lapangan kerja."]),
    ("Kategorinya meliputi a. Puisi, b. Cerpen, c. Esai.", &["Kategorinya meliputi a. Puisi, b. Cerpen, c. Esai."]),
    ("Tim itu juara 1. 2 tim lain gagal.", &["Tim itu juara 1.", "2 tim lain gagal."]),
    ("Skor akhir 2-1. 3 gol tercipta.", &["Skor akhir 2-1.", "3 gol tercipta."]),
    // Numbered items at the start of a line, a sentence or a colon list.
    ("1. Pertama, siapkan dokumen.", &["1. Pertama, siapkan dokumen."]),
    ("12. Kedua belas.", &["12. Kedua belas."]),
    ("Langkahnya:\n1. Cuci tangan.\n2. Keringkan.", &["Langkahnya:\n1. Cuci tangan.", "2. Keringkan."]),
    ("Syaratnya: 1. WNI. 2. Berusia 17 tahun.", &["Syaratnya: 1. WNI.", "2. Berusia 17 tahun."]),
    ("Pertama. 2. Kedua.", &["Pertama.", "2. Kedua."]),
    ("a. Pendaftaran dibuka.\nb. Seleksi dimulai.", &["a. Pendaftaran dibuka.", "b. Seleksi dimulai."]),
    ("Ia juara 1. Kemudian ia pensiun.", &["Ia juara 1.", "Kemudian ia pensiun."]),
    ("\"16.\" Ia menjawab.", &["\"16.\"", "Ia menjawab."]),
    // All-caps words end sentences like any other word.
    ("Ia tinggal di AS. Kemudian pindah.", &["Ia tinggal di AS.", "Kemudian pindah."]),
    ("Delegasi itu dari RI. Mereka tiba pagi.", &["Delegasi itu dari RI.", "Mereka tiba pagi."]),
    ("Sidang digelar di PBB. Semua hadir.", &["Sidang digelar di PBB.", "Semua hadir."]),
    ("Ia bekerja di KPK. Lalu pindah ke DPR.", &["Ia bekerja di KPK.", "Lalu pindah ke DPR."]),
    ("Itu terjadi setelah Perang Dunia II. Setelah itu damai.", &["Itu terjadi setelah Perang Dunia II.", "Setelah itu damai."]),
    ("Ia membeli ponsel di AS. iPhone itu mahal.", &["Ia membeli ponsel di AS.", "iPhone itu mahal."]),
    ("Vaksin dibuat. mRNA adalah kuncinya.", &["Vaksin dibuat.", "mRNA adalah kuncinya."]),
    ("Layanan baru dimulai. e-KTP kini berlaku.", &["Layanan baru dimulai.", "e-KTP kini berlaku."]),
    // Captions and credits after a sentence.
    ("Petugas memadamkan api, Kamis (25/4). Foto: ANTARA/Hafidz", &["Petugas memadamkan api, Kamis (25/4).", "Foto: ANTARA/Hafidz"]),
    ("Banjir merendam 200 rumah. (ant)", &["Banjir merendam 200 rumah. (ant)"]),
    // Every line of shared/examples/news-kcna.id.txt.
(
    "\"Persahabatan antara tentara dan rakyat kedua negara telah terjalin dan berkembang pesat selama perjuangan berdarah melawan musuh bersama. Hal ini merupakan kekuatan pendorong yang kuat untuk mendorong perkembangan persahabatan dan kerja sama menjadi kemitraan strategis yang komprehensif dan persahabatan yang tak terkalahkan,\" ujar Bapak Kim.",
    &["\"Persahabatan antara tentara dan rakyat kedua negara telah terjalin dan berkembang pesat selama perjuangan berdarah melawan musuh bersama.", "Hal ini merupakan kekuatan pendorong yang kuat untuk mendorong perkembangan persahabatan dan kerja sama menjadi kemitraan strategis yang komprehensif dan persahabatan yang tak terkalahkan,\" ujar Bapak Kim."],
),
(
    "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang, Korea Utara pada Juni 2024. Foto: KCNA",
    &["Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang, Korea Utara pada Juni 2024.", "Foto: KCNA"],
),
(
    "Ini adalah tanggapan Bapak Kim Jong Un terhadap pesan ucapan selamat Bapak Putin pada peringatan Hari Pembebasan 15 Agustus dari fasisme Jepang setelah Perang Dunia II, di mana pemimpin Rusia tersebut mengatakan bahwa pelaksanaan perjanjian antara Rusia dan Korea Utara berkontribusi terhadap stabilitas dan keamanan di kawasan.",
    &["Ini adalah tanggapan Bapak Kim Jong Un terhadap pesan ucapan selamat Bapak Putin pada peringatan Hari Pembebasan 15 Agustus dari fasisme Jepang setelah Perang Dunia II, di mana pemimpin Rusia tersebut mengatakan bahwa pelaksanaan perjanjian antara Rusia dan Korea Utara berkontribusi terhadap stabilitas dan keamanan di kawasan."],
),
(
    "\"Kedua negara memberikan penghormatan kepada para prajurit Tentara Merah dan patriot Korea yang berjuang bahu-membahu demi pembebasan Korea. Penting bagi hubungan persahabatan dan dukungan timbal balik selama masa-masa perang yang sengit itu untuk tetap menjadi dasar yang andal bagi pengembangan hubungan bertetangga yang baik antara kedua negara,\" kantor berita KCNA mengutip pesan Putin.",
    &["\"Kedua negara memberikan penghormatan kepada para prajurit Tentara Merah dan patriot Korea yang berjuang bahu-membahu demi pembebasan Korea.", "Penting bagi hubungan persahabatan dan dukungan timbal balik selama masa-masa perang yang sengit itu untuk tetap menjadi dasar yang andal bagi pengembangan hubungan bertetangga yang baik antara kedua negara,\" kantor berita KCNA mengutip pesan Putin."],
),
(
    "Surat tersebut \"menyatakan keyakinan bahwa implementasi menyeluruh atas kesepakatan yang dicapai selama perundingan baru-baru ini di Pyongyang akan semakin mendorong perluasan kerja sama bilateral antara Federasi Rusia dan Republik Rakyat Demokratik Korea.\"",
    &["Surat tersebut \"menyatakan keyakinan bahwa implementasi menyeluruh atas kesepakatan yang dicapai selama perundingan baru-baru ini di Pyongyang akan semakin mendorong perluasan kerja sama bilateral antara Federasi Rusia dan Republik Rakyat Demokratik Korea.\""],
),
(
    "Menurut KCNA, dokumen tersebut menyatakan: \"Hal ini sepenuhnya sejalan dengan kepentingan rakyat kedua negara dan akan berkontribusi dalam menjamin stabilitas dan keamanan di kawasan.\"",
    &["Menurut KCNA, dokumen tersebut menyatakan: \"Hal ini sepenuhnya sejalan dengan kepentingan rakyat kedua negara dan akan berkontribusi dalam menjamin stabilitas dan keamanan di kawasan.\""],
),
(
    "Bapak Kim mengunjungi tugu peringatan untuk mengenang para prajurit revolusioner Korea yang berjuang melawan Jepang untuk mengakhiri penjajahan dari tahun 1910 hingga 1945. Beliau juga mengunjungi Menara Pembebasan, yang mengenang para prajurit Tentara Merah Soviet.",
    &["Bapak Kim mengunjungi tugu peringatan untuk mengenang para prajurit revolusioner Korea yang berjuang melawan Jepang untuk mengakhiri penjajahan dari tahun 1910 hingga 1945.", "Beliau juga mengunjungi Menara Pembebasan, yang mengenang para prajurit Tentara Merah Soviet."],
),
(
    "Pada bulan Juni tahun ini, Bapak Kim dan Bapak Putin mengadakan pertemuan puncak kedua mereka dalam waktu kurang dari setahun di Pyongyang, menandatangani pakta \"kemitraan strategis komprehensif\" yang mencakup perjanjian pertahanan bersama.",
    &["Pada bulan Juni tahun ini, Bapak Kim dan Bapak Putin mengadakan pertemuan puncak kedua mereka dalam waktu kurang dari setahun di Pyongyang, menandatangani pakta \"kemitraan strategis komprehensif\" yang mencakup perjanjian pertahanan bersama."],
),
(
    "Ngoc Anh (menurut KCNA, Reuters)",
    &["Ngoc Anh (menurut KCNA, Reuters)"],
),
(
    "[iklan_2]",
    &["[iklan_2]"],
),
(
    "Sumber: https://www.congluan.vn/nga-va-trieu-tien-cam-ket-tang-cuong-quan-he-nhan-ngay-giai-phong-post307937.html",
    &["Sumber: https://www.congluan.vn/nga-va-trieu-tien-cam-ket-tang-cuong-quan-he-nhan-ngay-giai-phong-post307937.html"],
),
(
    "",
    &[],
),
("Komentar (0)", &["Komentar (0)"]),
];

fn sentences(text: &str) -> Vec<&str> {
    split(text).into_iter().map(|r| &text[r]).collect()
}

/// The contract of [`split`]: ordered ranges on char boundaries, trimmed,
/// separated by whitespace only.
fn assert_contract(text: &str) {
    let ranges = split(text);
    let mut last = 0;
    for r in &ranges {
        assert!(last <= r.start && r.start < r.end, "{ranges:?} in {text:?}");
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        assert!(
            text[last..r.start].chars().all(char::is_whitespace),
            "{text:?}"
        );
        let s = &text[r.clone()];
        assert_eq!(s, s.trim(), "untrimmed range in {text:?}");
        last = r.end;
    }
    assert!(text[last..].chars().all(char::is_whitespace), "{text:?}");
    assert_eq!(ranges.is_empty(), text.trim().is_empty());
}

#[test]
fn table() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|&(text, expected)| {
            assert_contract(text);
            let got = sentences(text);
            (got != expected)
                .then(|| format!("{text:?}\n  expected {expected:?}\n  got      {got:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// The length and letters guard in `abbreviation` must not hide an entry.
#[test]
fn abbreviations_are_short_ascii_words() {
    for (entry, _) in super::ABBREVIATIONS {
        for part in entry.split(' ') {
            assert!(
                part.len() <= 7 && part.bytes().all(|b| b.is_ascii_alphabetic()),
                "{entry}"
            );
        }
    }
}

#[test]
fn contract_holds_on_whole_documents() {
    let gold = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/segment-gold.txt"
    ));
    assert_contract(gold);
    let all: String = CASES.iter().map(|c| c.0).collect::<Vec<_>>().join("\n\n");
    assert_contract(&all);
    // Every prefix, so that a text may end anywhere, even inside a mark run.
    let tricky = "“Ya…” tanya dia. Rp. 5.000, S.H.) (dll.) 1. 2.\u{a0}Ölçüm… «x.» ?!";
    for (i, _) in tricky.char_indices() {
        assert_contract(&tricky[..i]);
    }
}

#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "Ia", "datang", "ia", "B.", "J.", "Habibie", "Bpk.", "Dr.", "S.H.", "M.Si.", "a.n.",
    "dll.", "et al.", "No.", "1.", "12.", "a.", "b)", "2020.Per", "3,5", "12.30", "$100",
    "iPhone", "e-KTP", "Ölçüm", "https://x.com/a.b?c=d.", "humas@x.go.id.", ".", "?", "!",
    "…", "...", "?!", "\"", "“", "”", "'", "‘", "’", "«", "»", "(", ")", "[", "]", ":",
    " ", "  ", "\n", "\r\n", "\r", "\t", "\u{a0}", "\u{2028}", "\u{85}", "\u{3000}",
    "e\u{301}", "\u{301}", "👍🏽", "\u{200b}", "\u{200f}", "مرحبا", "\u{1}", "ǅ",
];

fn text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        6 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => any::<String>(),
    ];
    proptest::collection::vec(piece, 0..32).prop_map(|p| p.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 512,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// Any text: ordered, trimmed, non-overlapping ranges on char boundaries, with only
    /// whitespace outside them, so no character is dropped.
    #[test]
    fn contract_holds_on_any_text(text in text()) {
        assert_contract(&text);
    }
}

/// Boundary counts on a gold file (format in the header of
/// tests/data/segment-gold.txt): a boundary is the byte offset where a
/// sentence other than the first starts in a block's joined source line.
struct Score {
    blocks: usize,
    expected: usize,
    found: usize,
    correct: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        self.correct as f64 / self.found.max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.correct as f64 / self.expected.max(1) as f64
    }

    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Scores [`split`] on `gold`, printing each block it gets wrong and then the
/// figures under `name`.
fn score(name: &str, gold: &str) -> Score {
    let mut score = Score {
        blocks: 0,
        expected: 0,
        found: 0,
        correct: 0,
    };
    for block in gold.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
        if lines.is_empty() {
            continue;
        }
        score.blocks += 1;
        assert!(
            lines.iter().all(|l| !l.is_empty() && *l == l.trim()),
            "malformed gold block {block:?}"
        );
        let joined = lines.join(" ");
        let gold_starts: Vec<usize> = lines
            .iter()
            .scan(0, |offset, line| {
                *offset += line.len() + 1;
                Some(*offset)
            })
            .take(lines.len() - 1)
            .collect();
        let starts: Vec<usize> = split(&joined).iter().skip(1).map(|r| r.start).collect();
        let hits = starts.iter().filter(|s| gold_starts.contains(s)).count();
        if hits != starts.len() || hits != gold_starts.len() {
            println!("{name}: differs: {:?}", sentences(&joined));
        }
        score.expected += gold_starts.len();
        score.found += starts.len();
        score.correct += hits;
    }
    println!(
        "{name}: {} blocks, {} boundaries, {} found, {} correct; \
         precision {:.4}, recall {:.4}, F1 {:.4}",
        score.blocks,
        score.expected,
        score.found,
        score.correct,
        score.precision(),
        score.recall(),
        score.f1()
    );
    score
}

/// The development set: rules are tuned against it.
#[test]
fn gold_precision_recall() {
    let gold = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/segment-gold.txt"
    ));
    let score = score("dev", gold);
    assert!(
        score.blocks >= 200 && score.expected >= 150,
        "gold set too small"
    );
    assert!(
        score.precision() >= 0.95,
        "precision {:.4}",
        score.precision()
    );
    assert!(score.recall() >= 0.95, "recall {:.4}", score.recall());
}

/// The held-out set: scored, never tuned on, so its figures say how the rules
/// do on text they were not fitted to.
#[test]
fn heldout_precision_recall() {
    let gold = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/segment-heldout.txt"
    ));
    let score = score("held-out", gold);
    assert!(score.blocks >= 400, "held-out set too small");
    assert!(score.f1() >= 0.99, "F1 {:.4}", score.f1());
}
